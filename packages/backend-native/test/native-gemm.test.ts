import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { setupBackend } from '@nextnets/backend';
import { relMaxDiff } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeGemmStatus, NATIVE_ADDON_PATH, stopNativeGemm, useNativeGemm } from '../src/index';
import { available } from './availability';


/** The op computed once with the wasm GEMM and once with OpenBLAS, on the same inputs. */
function wasmAndNative(op: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = () => tf.tidy(() => [op()].flat().map((t) => t.dataSync() as Float32Array));
  stopNativeGemm();
  const wasm = run();
  useNativeGemm({ threads: 2 });
  return [wasm, run()];
}

describe.skipIf(!available)('OpenBLAS GEMMs on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  const a = () => tf.randomNormal([3, 37, 29], 0, 1, 'float32', 1);
  const b = () => tf.randomNormal([3, 29, 41], 0, 1, 'float32', 2);
  it.each([
    ['A·B (batched)', () => tf.matMul(a(), b())],
    ['Aᵀ·B', () => tf.matMul(tf.randomNormal([29, 37], 0, 1, 'float32', 3), tf.randomNormal([29, 41], 0, 1, 'float32', 4), true, false)],
    ['A·Bᵀ', () => tf.matMul(tf.randomNormal([37, 29], 0, 1, 'float32', 12), tf.randomNormal([41, 29], 0, 1, 'float32', 13), false, true)],
    ['A·B + bias, relu', () => tf.fused.matMul({ a: tf.randomNormal([37, 29], 0, 1, 'float32', 5), b: tf.randomNormal([29, 41], 0, 1, 'float32', 6), bias: tf.randomNormal([41], 0, 1, 'float32', 7), activation: 'relu' })],
    ['a long k split into accumulated blocks', () => tf.matMul(tf.randomNormal([5000, 24], 0, 1, 'float32', 8), tf.randomNormal([5000, 40], 0, 1, 'float32', 9), true, false)],
  ])('%s matches the wasm GEMM', (_name, op) => {
    const [wasm, native] = wasmAndNative(op);
    expect(nativeGemmStatus()).toMatch(/^native GEMM: OpenBLAS \(\w+ kernels\), 2 threads$/);
    expect(relMaxDiff(native[0], wasm[0])).toBeLessThan(1e-5);
  });

  it('dense convolution gradients (filter and input) match the wasm kernels', () => {
    const x = tf.randomNormal([2, 9, 9, 6], 0, 1, 'float32', 10);
    const w = tf.randomNormal([3, 3, 6, 8], 0, 1, 'float32', 11);
    const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same'))));
    const [wasm, native] = wasmAndNative(() => grads([x, w]));
    expect(relMaxDiff(native[0], wasm[0])).toBeLessThan(1e-5);
    expect(relMaxDiff(native[1], wasm[1])).toBeLessThan(1e-5);
    tf.dispose([x, w]);
  });

  it('names an operand outside the heap in one line instead of reading past it', () => {
    const heap = new ArrayBuffer(1024);
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as { gemmNT: (...args: unknown[]) => void };
    expect(() => addon.gemmNT(heap, 0, 0, 512, 0, 16, 16, 16, 0)).toThrow(/^nextnets native: C \(256 floats at byte 512\) is outside the heap of 1024 bytes$/);
  });
});
