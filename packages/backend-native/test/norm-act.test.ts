import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { setupBackend } from '@nextnets/backend';
import {
  FUSED_BATCH_NORM,
  FUSED_BATCH_NORM_GRAD,
  FUSED_BATCH_NORM_SILU,
  FUSED_BATCH_NORM_SILU_GRAD,
  FUSED_SILU,
  FUSED_SILU_GRAD,
} from '@nextnets/backend/kernel-names';
import { relMaxDiff } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_ADDON_PATH, stopNativeGemm, useNativeGemm } from '../src/index';
import { available } from './availability';

const lib = available ? (createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Record<string, unknown>) : null;
const addon = lib as Record<string, (...args: unknown[]) => void> | null;
// the addon offers these kernels only where its loops run vectorised (AVX2 / AVX-512); elsewhere the wasm ones stay
const vectorized = lib?.normActVectorized === true;
if (available && !vectorized) console.log('native BatchNorm / SiLU tests skipped: no AVX2 here, the addon leaves them to wasm');

const run = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor[] =>
  [tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap)].flat() as tf.Tensor[];

/** The kernel computed once by our wasm SIMD module and once by the addon, on the same inputs. */
function wasmAndNative(op: () => tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const values = () => tf.tidy(() => op().map((t) => t.dataSync() as Float32Array));
  stopNativeGemm();
  const wasm = values();
  useNativeGemm({ threads: 1 });
  return [wasm, values()];
}

// odd channel counts (tails of every vector width) and row counts; a shifted mean tests the one-pass variance
describe.skipIf(!vectorized)('native BatchNorm and SiLU on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  it.each([
    [[3, 5, 7, 37]],
    [[2, 11, 13, 3]],
    [[1, 1, 2, 129]],
  ])('BatchNorm forward and gradient at %j match the wasm kernels', (shape) => {
    const c = shape[3];
    const x = () => tf.add(tf.randomNormal(shape, 0, 2, 'float32', 1), 5);
    const w = () => tf.randomNormal([c], 1, 0.5, 'float32', 2);
    const b = () => tf.randomNormal([c], 0, 0.5, 'float32', 3);
    const dy = () => tf.randomNormal(shape, 0, 1, 'float32', 4);
    const [wasm, native] = wasmAndNative(() => {
      const [y, mean, variance] = run(FUSED_BATCH_NORM, { x: x(), weight: w(), bias: b() }, { eps: 1e-3 });
      const grads = run(FUSED_BATCH_NORM_GRAD, { dy: dy(), x: x(), weight: w(), mean, variance }, { eps: 1e-3 });
      return [y, mean, variance, ...grads];
    });
    for (let i = 0; i < wasm.length; i++) expect(relMaxDiff(native[i], wasm[i]), `output ${i}`).toBeLessThan(1e-5);
  });

  it.each([
    [[3, 5, 7, 37]],
    [[2, 11, 13, 3]],
    [[1, 1, 2, 129]],
  ])('fused BatchNorm-SiLU forward and gradient at %j match the wasm kernels (BatchNorm, then SiLU)', (shape) => {
    const c = shape[3];
    const x = () => tf.add(tf.randomNormal(shape, 0, 2, 'float32', 11), 5);
    const w = () => tf.randomNormal([c], 1, 0.5, 'float32', 12);
    const b = () => tf.randomNormal([c], 0, 0.5, 'float32', 13);
    const dy = () => tf.randomNormal(shape, 0, 1, 'float32', 14);
    const [wasm, native] = wasmAndNative(() => {
      const [z, mean, variance] = run(FUSED_BATCH_NORM_SILU, { x: x(), weight: w(), bias: b() }, { eps: 1e-3 });
      const grads = run(FUSED_BATCH_NORM_SILU_GRAD, { dy: dy(), x: x(), weight: w(), bias: b(), mean, variance }, { eps: 1e-3 });
      return [z, mean, variance, ...grads];
    });
    for (let i = 0; i < wasm.length; i++) expect(relMaxDiff(native[i], wasm[i]), `output ${i}`).toBeLessThan(1e-5);
  });

  it('SiLU and its gradient match the wasm kernels (odd length, large |x|)', () => {
    const x = () => tf.concat([tf.randomNormal([1001], 0, 4, 'float32', 5), tf.tensor1d([-100, -87.5, -20, 0, 20, 100])]);
    const dy = () => tf.randomNormal([1007], 0, 1, 'float32', 6);
    const [wasm, native] = wasmAndNative(() => [...run(FUSED_SILU, { x: x() }), ...run(FUSED_SILU_GRAD, { dy: dy(), x: x() })]);
    expect(relMaxDiff(native[0], wasm[0])).toBeLessThan(1e-5);
    expect(relMaxDiff(native[1], wasm[1])).toBeLessThan(1e-5);
  });

  it('a training step through every native kernel leaves no tensors behind', () => {
    useNativeGemm({ threads: 1 });
    const x = tf.randomNormal([2, 6, 6, 10], 0, 1, 'float32', 7);
    const w = tf.variable(tf.ones([10]));
    const b = tf.variable(tf.zeros([10]));
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const [y] = run(FUSED_BATCH_NORM, { x, weight: w, bias: b }, { eps: 1e-5 });
          const [z] = run(FUSED_BATCH_NORM_SILU, { x: run(FUSED_SILU, { x: y })[0], weight: w, bias: b }, { eps: 1e-5 });
          return tf.sum(tf.square(z)) as tf.Scalar;
        });
        w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)));
        b.assign(tf.sub(b, tf.mul(grads[b.name], 0.1)));
      });
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });

  it('names an operand outside the heap in one line instead of reading past it', () => {
    const heap = new ArrayBuffer(1024);
    if (addon == null) throw new Error('unreachable: the suite runs only with the addon');
    expect(() => addon.silu(heap, 0, 512, 256)).toThrow(/^nextnets native: y \(256 floats at byte 512\) is outside the heap of 1024 bytes$/);
    expect(() => addon.batchNorm(heap, 0, 0, 0, 0, 0, 1020, 0, 8, 4, 1e-5)).toThrow(/^nextnets native: variance \(4 floats at byte 1020\) is outside the heap of 1024 bytes$/);
    expect(() => addon.batchNormGrad(heap, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 2, 4, 1e-5)).toThrow(/^nextnets native: scratch \(12 floats at byte 1000\) is outside the heap of 1024 bytes$/);
    expect(() => addon.batchNormSiluGrad(heap, 0, 0, 0, 1016, 0, 0, 0, 0, 0, 0, 2, 4, 1e-5)).toThrow(/^nextnets native: bias \(4 floats at byte 1016\) is outside the heap of 1024 bytes$/);
    expect(() => addon.batchNormSilu(heap, 0, 0, 0, 0, 0, 0, 0, 1e6, 1e6, 1e-5)).toThrow(/^nextnets native batchNorm: rows·c floats exceed the heap$/);
    expect(() => addon.siluGrad(heap, 0, 0, 0, 1e9)).toThrow(/^nextnets native siluGrad: n exceeds the heap$/);
  });
});
