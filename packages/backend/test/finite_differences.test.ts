import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { dot, makeRng, randomValues } from './helpers';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Checks wasm gradients against central finite differences of the wasm forward pass, along one random
 * direction per input: (L(p + eps*v) - L(p - eps*v)) / (2*eps) must match <dL/dp, v>.
 *
 * Tolerance: L = sum(gelu(op(x, w)) * c) with inputs in (-1, 1). Truncation error of the central difference is
 * eps^2/6 * |L'''| ~ 1e-5 relative for eps = 1e-2; float32 rounding of L (a few hundred terms of size <= ~5)
 * is ~6e-8 * 5 * 300 ~ 1e-4 absolute, which divided by 2*eps gives ~5e-3 absolute on the difference quotient,
 * whose magnitude is ~1-30. So |fd - analytic| <= 1e-2 * max(1, |analytic|) is tight enough to catch any
 * wrong index (errors of O(1)) while robust to float32 noise.
 */
const EPS = 1e-2;
const TOL = 1e-2;

interface FdCase {
  name: string;
  shapes: number[][];
  f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor;
}

const ASYMMETRIC: Pad4 = [[0, 0], [0, 1], [0, 1], [0, 0]];
const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

const CASES: FdCase[] = [
  { name: 'conv2d 3x3 s1 same', shapes: [[2, 5, 5, 2], [3, 3, 2, 3]], f: (x, w) => tf.conv2d(x, w, 1, 'same') },
  { name: 'conv2d 2x2 s2 valid', shapes: [[2, 5, 4, 3], [2, 2, 3, 2]], f: (x, w) => tf.conv2d(x, w, 2, 'valid') },
  { name: 'conv2d 3x3 s2 asymmetric pad', shapes: [[1, 6, 5, 2], [3, 3, 2, 2]], f: (x, w) => tf.conv2d(x, w, 2, ASYMMETRIC) },
  { name: 'depthwise 3x3 s1 same', shapes: [[2, 5, 5, 3], [3, 3, 3, 1]], f: (x, w) => tf.depthwiseConv2d(x, w, 1, 'same') },
  { name: 'depthwise 5x5 s2 same', shapes: [[2, 7, 6, 2], [5, 5, 2, 1]], f: (x, w) => tf.depthwiseConv2d(x, w, 2, 'same') },
  { name: 'depthwise 3x3 multiplier 2 valid', shapes: [[1, 5, 6, 2], [3, 3, 2, 2]], f: (x, w) => tf.depthwiseConv2d(x, w, 1, 'valid') },
  { name: 'maxPool 3x3 s2 same on x (w unused)', shapes: [[2, 5, 5, 2], [1, 1, 1, 1]], f: (x, w) => tf.mul(tf.maxPool(x, 3, 2, 'same'), tf.reshape(w, [1])) },
];

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('wasm gradients agree with central finite differences', () => {
  for (const [i, c] of CASES.entries()) {
    it(c.name, () => {
      const rng = makeRng(500 + i);
      const [xv, wv] = c.shapes.map((s) => randomValues(rng, s));
      const directions = c.shapes.map((s) => randomValues(rng, s));
      const [xShape, wShape] = c.shapes;
      const lossOf = (x: tf.Tensor, w: tf.Tensor) => {
        const y = gelu(c.f(x as tf.Tensor4D, w as tf.Tensor4D));
        return tf.sum(tf.mul(y, tf.reshape(tf.sin(tf.range(1, y.size + 1)), y.shape)));
      };
      const lossAt = (x: Float32Array, w: Float32Array) =>
        tf.tidy(() => lossOf(tf.tensor(x, xShape), tf.tensor(w, wShape)).dataSync()[0]);
      const grads = tf.tidy(() =>
        tf.grads(lossOf)([tf.tensor(xv, xShape), tf.tensor(wv, wShape)]).map((g) => Float32Array.from(g.dataSync())),
      );
      [0, 1].forEach((k) => {
        const shift = (sign: number) => {
          const base = k === 0 ? xv : wv;
          return base.map((v, j) => v + sign * EPS * directions[k][j]);
        };
        const plus = k === 0 ? lossAt(shift(1), wv) : lossAt(xv, shift(1));
        const minus = k === 0 ? lossAt(shift(-1), wv) : lossAt(xv, shift(-1));
        const fd = (plus - minus) / (2 * EPS);
        const analytic = dot(grads[k], directions[k]);
        expect(Math.abs(fd - analytic)).toBeLessThan(TOL * Math.max(1, Math.abs(analytic)));
      });
    });
  }
});
