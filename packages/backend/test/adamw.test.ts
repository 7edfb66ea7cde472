import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { ADAMW_UPDATE_KERNEL, type AdamWUpdateAttrs } from '../src/kernels/adamw';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { makeRng, randomValues } from './helpers';

/**
 * The fused AdamW kernel against the composite update @nextnets/optim runs without it (the same tf ops, written out
 * here, on tfjs-backend-cpu): the kernel performs the same float32 operations in the same order, so the results must
 * be identical bit for bit, for the SIMD module on the tfjs heap and for the scalar fallback.
 */
function composite(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: AdamWUpdateAttrs): tf.Tensor[] {
  const s = (x: number) => tf.scalar(x, 'float32');
  const decayed = a.weightDecay !== 0 ? tf.mul(p, s(1 - a.lr * a.weightDecay)) : p;
  const m1 = tf.add(tf.mul(m, s(a.beta1)), tf.mul(g, s(1 - a.beta1)));
  const v1 = tf.add(tf.mul(v, s(a.beta2)), tf.mul(tf.mul(g, g), s(1 - a.beta2)));
  const denom = tf.add(tf.div(tf.sqrt(v1), s(Math.sqrt(1 - a.beta2 ** a.step))), s(a.eps));
  const p1 = tf.sub(decayed, tf.mul(tf.div(m1, denom), s(a.lr / (1 - a.beta1 ** a.step))));
  return [p1, m1, v1];
}

interface Case {
  shape: number[];
  attrs: AdamWUpdateAttrs;
}

// Odd sizes (scalar tails of 1-3 after the 4-lane loop), a scalar, an empty tensor; steps 1 / 7 / 1000, no decay.
const CASES: Case[] = [
  { shape: [7, 7, 13, 1], attrs: { lr: 4e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, step: 1 } },
  { shape: [129, 33], attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0.3, step: 7 } },
  { shape: [1000], attrs: { lr: 2.5e-4, beta1: 0.8, beta2: 0.99, eps: 1e-8, weightDecay: 0, step: 1000 } },
  { shape: [3], attrs: { lr: 1e-2, beta1: 0, beta2: 0.5, eps: 1e-3, weightDecay: 1e-4, step: 2 } },
  { shape: [], attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 3 } },
  { shape: [0, 5], attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 } },
];

/** null when the arrays hold the same float32 bits, else the first difference (small message, unlike a full diff). */
function firstDifference(actual: Float32Array, expected: Float32Array): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  const i = actual.findIndex((x, j) => !Object.is(x, expected[j]));
  return i < 0 ? null : `[${i}]: ${actual[i]} != ${expected[i]}`;
}

/** param, grad, m (signed), v (non-negative, sometimes 0), as plain arrays. */
function inputs(shape: number[], seed: number): Float32Array[] {
  const rng = makeRng(seed);
  const [p, g, m, v] = [0, 1, 2, 3].map(() => randomValues(rng, shape));
  for (let i = 0; i < v.length; i++) v[i] = i % 5 === 0 ? 0 : v[i] * v[i] * 1e-3;
  for (let i = 0; i < g.length; i++) g[i] *= 10 ** ((i % 7) - 4); // gradients over several magnitudes
  return [p, g, m, v];
}

async function run(backend: 'cpu' | 'wasm', shape: number[], data: Float32Array[], attrs: AdamWUpdateAttrs, fused: boolean) {
  await tf.setBackend(backend);
  const [p, g, m, v] = data.map((d) => tf.tensor(d, shape, 'float32'));
  const outs = fused
    ? (tf.engine().runKernel(ADAMW_UPDATE_KERNEL, { param: p, grad: g, m, v }, { ...attrs }) as tf.Tensor[])
    : tf.tidy(() => composite(p, g, m, v, attrs));
  const values = outs.map((o) => Float32Array.from(o.dataSync()));
  expect(outs.map((o) => o.shape)).toEqual([shape, shape, shape]);
  tf.dispose([p, g, m, v, ...outs]);
  return values;
}

describe('fused AdamW update (wasm)', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });
  afterAll(() => setSimdKernelsEnabled(true));

  it('is registered for wasm only', () => {
    expect(tf.getKernel(ADAMW_UPDATE_KERNEL, 'wasm')).toBeDefined();
    expect(tf.getKernel(ADAMW_UPDATE_KERNEL, 'cpu')).toBeUndefined();
  });

  for (const simd of [true, false]) {
    it.each(CASES)(`equals the composite update bit for bit: %j (${simd ? 'SIMD' : 'scalar'})`, async ({ shape, attrs }) => {
      const data = inputs(shape, shape.length * 31 + attrs.step);
      const expected = await run('cpu', shape, data, attrs, false);
      setSimdKernelsEnabled(simd);
      const tensors = tf.memory().numTensors;
      const actual = await run('wasm', shape, data, attrs, true);
      setSimdKernelsEnabled(true);
      expect(tf.memory().numTensors).toBe(tensors);
      actual.forEach((a, i) => expect(firstDifference(a, expected[i]), ['param', 'm', 'v'][i]).toBeNull());
      // The composite on wasm too (stock XNNPACK elementwise kernels): same bits.
      const wasmComposite = await run('wasm', shape, data, attrs, false);
      wasmComposite.forEach((a, i) => expect(firstDifference(a, expected[i])).toBeNull());
    });
  }

  for (const simd of [true, false]) {
    it(`is correct when allocating its outputs grows the wasm heap (${simd ? 'SIMD' : 'scalar'})`, async () => {
      await tf.setBackend('wasm');
      const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
      const attrs: AdamWUpdateAttrs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, step: 5 };
      setSimdKernelsEnabled(simd);
      let grew = false;
      // Each output is a third of the heap as it was: the three together cannot fit without growing it.
      for (let attempt = 0; attempt < 4 && !grew; attempt++) {
        const n = Math.ceil(heap() / 4 / 3) + 1;
        const shape = [n];
        const data = inputs(shape, 11 + attempt);
        const [p, g, m, v] = data.map((d) => tf.tensor(d, shape, 'float32'));
        const before = heap();
        const outs = tf.engine().runKernel(ADAMW_UPDATE_KERNEL, { param: p, grad: g, m, v }, { ...attrs }) as tf.Tensor[];
        grew = heap() > before;
        const actual = outs.map((o) => Float32Array.from(o.dataSync()));
        tf.dispose([p, g, m, v, ...outs]);
        if (!grew) continue;
        const expected = await run('cpu', shape, data, attrs, false);
        await tf.setBackend('wasm');
        actual.forEach((a, i) => expect(firstDifference(a, expected[i])).toBeNull());
      }
      setSimdKernelsEnabled(true);
      expect(grew).toBe(true);
    });
  }

  it('rejects mismatched inputs in one line', async () => {
    await tf.setBackend('wasm');
    const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
    const [p, g, m] = [tf.zeros([4, 3]), tf.zeros([4, 3]), tf.zeros([4, 3])];
    const v = tf.zeros([12]);
    expect(() => tf.engine().runKernel(ADAMW_UPDATE_KERNEL, { param: p, grad: g, m, v }, attrs)).toThrow(
      /^NextnetsAdamWUpdate: v is float32 \[12\], param is float32 \[4,3\]$/,
    );
    tf.dispose([p, g, m, v]);
  });
});
