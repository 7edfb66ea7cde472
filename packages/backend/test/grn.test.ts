import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_GRN } from '../src/kernel-names';
import { setupBackend } from '../src/index';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { makeRng, maxRelDiff, randomValues } from './helpers';

const EPS = 1e-6;

/** The composite GRN (ConvNeXt V2's definition, as core-layers' eval path computes it). */
function compositeGrn(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const middle = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
  const gx = tf.sqrt(tf.add(tf.sum(tf.square(x), middle, true), 1e-30));
  const nx = tf.div(gx, tf.add(tf.mean(gx, -1, true), EPS));
  return tf.add(tf.add(tf.mul(w, tf.mul(x, nx)), b), x);
}

function fusedGrn(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [y] = tf.engine().runKernel(FUSED_GRN, { x, weight: w, bias: b }, { eps: EPS }) as tf.Tensor[];
  return y;
}

/** y and the gradients of Σ y·r with respect to x, w and b, as flat arrays. */
function valueAndGrads(grn: typeof fusedGrn, xv: Float32Array, shape: number[], wv: Float32Array, bv: Float32Array, rv: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1];
    const [x, w, b, r] = [tf.tensor(xv, shape), tf.tensor(wv, [c]), tf.tensor(bv, [c]), tf.tensor(rv, shape)];
    const y = grn(x, w, b);
    const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(grn(xi, wi, bi), r)))([x, w, b]);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

// [N, H, W, C] and [N, H·W, C]: channels a multiple of 4 and not (the SIMD tail), one pixel, several samples
const SHAPES = [
  [2, 35, 12],
  [2, 5, 7, 12],
  [3, 4, 4, 7],
  [1, 1, 1, 5],
  [2, 9, 9, 33],
];

describe.each([
  ['wasm SIMD', true],
  ['scalar fallback', false],
] as const)('fused GRN kernel (%s) against the composite ops on cpu', (_, simd) => {
  beforeAll(async () => {
    await setupBackend('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    setSimdKernelsEnabled(simd);
  });
  afterAll(() => setSimdKernelsEnabled(true));

  for (const [i, shape] of SHAPES.entries()) {
    it(`y, dx, dweight, dbias match for [${shape}]`, async () => {
      const rng = makeRng(300 + i);
      const c = shape[shape.length - 1];
      const xv = randomValues(rng, shape);
      // an all-zero channel in sample 0, as FCMAE's masking produces: finite gradients, zero dx there
      for (let p = 0; p < xv.length / shape[0] / c; p++) xv[p * c + (c - 1)] = 0;
      const [wv, bv, rv] = [randomValues(rng, [c]), randomValues(rng, [c]), randomValues(rng, shape)];
      await tf.setBackend('cpu');
      const expected = valueAndGrads(compositeGrn, xv, shape, wv, bv, rv);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const actual = valueAndGrads(fusedGrn, xv, shape, wv, bv, rv);
      expect(tf.memory().numTensors).toBe(before);
      for (const [j, name] of ['y', 'dx', 'dweight', 'dbias'].entries()) {
        expect(actual[j].every(Number.isFinite), name).toBe(true);
        expect(maxRelDiff(actual[j], expected[j]), name).toBeLessThan(2e-5);
      }
    });
  }

  it('rejects x without a channel axis in one line', () => {
    expect(() => fusedGrn(tf.zeros([3]), tf.zeros([3]), tf.zeros([3]))).toThrow(/^NextnetsGrn: expected x of shape \[N, …, C\], got \[3\]$/);
  });
});
