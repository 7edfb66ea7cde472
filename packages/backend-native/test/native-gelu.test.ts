import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { setupBackend } from '@nextnets/backend';
import { FUSED_GELU } from '@nextnets/backend/kernel-names';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_ADDON_PATH, stopNativeGemm } from '../src/index';
import { available, wasmAndNative } from './helpers';

const gelu = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel(FUSED_GELU, { x }) as tf.Tensor;

/** max |a − b|: GELU and its derivative are O(1) near 0 and scale with |x| beyond, so absolute error is the measure. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.skipIf(!available)('native GELU on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  // 16-lane bodies and tails (1003 values), the ±4 clamp of the rational erf, exp's −87 clamp (|x| > 13)
  it.each([
    ['standard normal values', () => tf.randomNormal([1003], 0, 1, 'float32', 21)],
    ['wide values', () => tf.randomUniform([997], -20, 20, 'float32', 22)],
  ])('forward and gradient of %s match the wasm kernel', (_name, make) => {
    const [wasm, native] = wasmAndNative(() => {
      const x = make();
      const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 23);
      const [dx] = tf.grads((xi: tf.Tensor) => tf.sum(tf.mul(gelu(xi), dy)))([x]);
      return [gelu(x), dx];
    });
    expect(maxAbsDiff(native[0], wasm[0])).toBeLessThan(2e-6);
    expect(maxAbsDiff(native[1], wasm[1])).toBeLessThan(2e-6);
  });

  it('names an operand outside the heap in one line', () => {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as { geluGrad: (...args: unknown[]) => void };
    expect(() => addon.geluGrad(new ArrayBuffer(1024), 0, 0, 800, 64)).toThrow(/^nextnets native: dx \(64 floats at byte 800\) is outside the heap of 1024 bytes$/);
  });
});
