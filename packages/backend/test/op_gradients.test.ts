import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { makeRng, maxRelDiff, randomValues } from './helpers';

/** An op (or small composite) our models differentiate through, with the shapes of its inputs. */
interface OpCase {
  name: string;
  shapes: number[][];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
const ASYMMETRIC: Pad4 = [[0, 0], [0, 1], [0, 1], [0, 0]];
const SQRT2 = Math.SQRT2;

const as4 = (t: tf.Tensor) => t as tf.Tensor4D;
const as2 = (t: tf.Tensor) => t as tf.Tensor2D;

function conv2dCases(): OpCase[] {
  const cases: OpCase[] = [];
  for (const stride of [1, 2, 4]) {
    for (const k of [1, 2, 3, 4, 7]) {
      for (const pad of ['same', 'valid', ASYMMETRIC] as const) {
        cases.push({
          name: `conv2d k${k} s${stride} ${typeof pad === 'string' ? pad : 'explicit asymmetric'}`,
          shapes: [[2, 9, 9, 3], [k, k, 3, 4]],
          f: (x, w) => tf.conv2d(as4(x), as4(w), stride, pad),
        });
      }
    }
  }
  return cases;
}

function depthwiseCases(): OpCase[] {
  const kernels: [number, number][] = [[3, 3], [5, 5], [7, 7], [1, 11], [11, 1], [31, 31]];
  return kernels.flatMap(([kh, kw]) =>
    [1, 2].map((stride) => ({
      name: `depthwiseConv2d ${kh}x${kw} s${stride}`,
      shapes: [[2, 11, 11, 3], [kh, kw, 3, 1]],
      f: (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(as4(x), as4(w), stride, 'same'),
    })),
  );
}

function poolCases(): OpCase[] {
  const configs: [number, number, 'same' | 'valid'][] = [[3, 2, 'same'], [3, 1, 'same'], [2, 2, 'valid'], [3, 2, 'valid']];
  const ties: OpCase = {
    name: 'maxPool after relu (tied zeros go to the first position)',
    shapes: [[2, 6, 6, 3]],
    f: (x) => tf.maxPool(as4(tf.relu(tf.sub(x, 0.5))), 3, 2, 'same'),
  };
  return configs.flatMap(([k, s, pad]): OpCase[] => [
    { name: `maxPool k${k} s${s} ${pad}`, shapes: [[2, 7, 7, 3]], f: (x: tf.Tensor) => tf.maxPool(as4(x), k, s, pad) },
    { name: `avgPool k${k} s${s} ${pad}`, shapes: [[2, 7, 7, 3]], f: (x: tf.Tensor) => tf.avgPool(as4(x), k, s, pad) },
  ]).concat(ties);
}

const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, SQRT2))));

const OTHER_CASES: OpCase[] = [
  {
    name: 'grouped conv (split + conv2d + concat)',
    shapes: [[2, 7, 7, 4], [3, 3, 2, 3], [3, 3, 2, 3]],
    f: (x, w1, w2) => {
      const [a, b] = tf.split(x, 2, 3);
      return tf.concat([tf.conv2d(as4(a), as4(w1), 1, 'same'), tf.conv2d(as4(b), as4(w2), 1, 'same')], 3);
    },
  },
  ...[false, true].flatMap((ta) =>
    [false, true].map((tb) => ({
      name: `matMul transposeA=${ta} transposeB=${tb}`,
      shapes: [ta ? [5, 3] : [3, 5], tb ? [4, 5] : [5, 4]],
      f: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(as2(a), as2(b), ta, tb),
    })),
  ),
  {
    name: 'batch norm with tf.moments',
    shapes: [[3, 5, 5, 4], [4], [4]],
    f: (x, g, b) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    },
  },
  {
    name: 'layer norm (mean/variance broadcasting)',
    shapes: [[2, 3, 3, 6], [6], [6]],
    f: (x, g, b) => {
      const mean = tf.mean(x, -1, true);
      const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), g), b);
    },
  },
  { name: 'erf GELU', shapes: [[2, 3, 3, 4]], f: gelu },
  { name: 'sigmoid', shapes: [[2, 3, 3, 4]], f: (x) => tf.sigmoid(x) },
  { name: 'silu', shapes: [[2, 3, 3, 4]], f: (x) => tf.mul(x, tf.sigmoid(x)) },
  { name: 'relu', shapes: [[2, 3, 3, 4]], f: (x) => tf.relu(x) },
  { name: 'relu6 (clipByValue)', shapes: [[2, 3, 3, 4]], f: (x) => tf.clipByValue(tf.mul(x, 8), 0, 6) },
  ...poolCases(),
  { name: 'mean over axes', shapes: [[2, 5, 5, 3]], f: (x) => tf.mean(x, [1, 2]) },
  { name: 'pad', shapes: [[2, 3, 3, 2]], f: (x) => tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]]) },
  { name: 'slice', shapes: [[2, 5, 5, 3]], f: (x) => tf.slice(x, [0, 1, 2, 0], [2, 3, 2, 2]) },
  { name: 'concat', shapes: [[2, 3, 3, 2], [2, 3, 3, 3]], f: (a, b) => tf.concat([a, b], 3) },
  { name: 'split', shapes: [[2, 3, 3, 6]], f: (x) => tf.mul(tf.split(x, [2, 4], 3)[1], 2) },
  { name: 'logSoftmax', shapes: [[4, 7]], f: (x) => tf.logSoftmax(x) },
  {
    name: 'softmax cross-entropy',
    shapes: [[4, 7]],
    f: (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 6, 0, 3], 'int32'), 7), x),
  },
  {
    name: 'drop path (where + greater on a random mask)',
    shapes: [[4, 3, 3, 2]],
    f: (x) => {
      const keep = tf.greater(tf.tensor4d([0.9, 0.1, 0.7, 0.3], [4, 1, 1, 1]), 0.25);
      return tf.where(tf.broadcastTo(keep, x.shape), tf.div(x, 0.75), tf.zerosLike(x));
    },
  },
  {
    name: 'where + greater on the input itself',
    shapes: [[2, 3, 3, 2]],
    f: (x) => tf.where(tf.greater(x, 0), x, tf.mul(x, 0.1)),
  },
  { name: 'resizeBilinear', shapes: [[2, 4, 4, 3]], f: (x) => tf.image.resizeBilinear(as4(x), [8, 8]) },
  { name: 'sqrt', shapes: [[2, 3, 3, 2]], f: (x) => tf.sqrt(tf.add(tf.square(x), 0.5)) },
  { name: 'square', shapes: [[2, 3, 3, 2]], f: (x) => tf.square(x) },
  { name: 'sum', shapes: [[2, 3, 3, 2]], f: (x) => tf.sum(x, [0, 2]) },
  { name: 'max', shapes: [[2, 3, 3, 2]], f: (x) => tf.max(x, [1, 2]) },
  { name: 'gather (UnsortedSegmentSum)', shapes: [[6, 4]], f: (x) => tf.gather(x, [5, 0, 5, 2], 0) },
];

const CASES = [...conv2dCases(), ...depthwiseCases(), ...OTHER_CASES];

/** Gradients of sum(f(xs) * c) with a fixed weighting c, so every output element matters. */
function gradsOf(c: OpCase, values: Float32Array[]): () => Float32Array[] {
  return () =>
    tf.tidy(() => {
      const loss = (...xs: tf.Tensor[]) => {
        const y = c.f(...xs);
        const weights = tf.reshape(tf.sin(tf.range(1, y.size + 1)), y.shape);
        return tf.sum(tf.mul(y, weights));
      };
      const inputs = values.map((v, i) => tf.tensor(v, c.shapes[i]));
      return tf.grads(loss)(inputs).map((g) => Float32Array.from(g.dataSync()));
    });
}

beforeAll(async () => {
  await setupBackend('cpu');
  await setupBackend('wasm');
});

describe('gradients through every op the models use run on wasm and match cpu', () => {
  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const rng = makeRng(1000 + i);
      const values = c.shapes.map((s) => randomValues(rng, s));
      await tf.setBackend('wasm');
      const onWasm = gradsOf(c, values)();
      await tf.setBackend('cpu');
      const onCpu = gradsOf(c, values)();
      onWasm.forEach((g, k) => {
        expect(g.every(Number.isFinite)).toBe(true);
        expect(maxRelDiff(g, onCpu[k])).toBeLessThan(1e-4);
      });
    });
  }
});
