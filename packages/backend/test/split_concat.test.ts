import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { isRowCopyConcat } from '../src/kernels/concat';
import { isRowCopySplitV } from '../src/kernels/split_v';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { makeRng, randomValues } from './helpers';

/** [shape, sizes or count, axis]: InceptionNeXt's channel split, every axis, a -1 size, short and long rows. */
const SPLIT_CASES: Array<[number[], number | number[], number]> = [
  [[2, 6, 6, 40], [25, 5, 5, 5], 3],
  [[2, 6, 6, 40], [25, 5, 5, 5], -1],
  [[3, 5, 7, 4], [1, 2, 2], 1],
  [[3, 5, 7, 4], 7, 2],
  [[4, 3, 2, 2], [1, -1, 2], 0],
  [[2, 300], [130, 170], 1],
  [[17], [5, 12], 0],
];

/** Values of every output, run on the given backend (copies are exact: wasm must equal cpu bit for bit). */
async function splitValues(backend: 'cpu' | 'wasm', x: Float32Array, shape: number[], sizes: number | number[], axis: number, dtype: 'float32' | 'int32' | 'bool') {
  await tf.setBackend(backend);
  const pieces = tf.tidy(() => tf.split(tf.cast(tf.tensor(x, shape), dtype), sizes, axis));
  const values = pieces.map((p) => ({ shape: p.shape, values: Array.from(p.dataSync()) }));
  tf.dispose(pieces);
  return values;
}

async function concatValues(backend: 'cpu' | 'wasm', parts: Array<{ values: Float32Array; shape: number[] }>, axis: number, dtype: 'float32' | 'int32' | 'bool') {
  await tf.setBackend(backend);
  const out = tf.tidy(() => tf.concat(parts.map((p) => tf.cast(tf.tensor(p.values, p.shape), dtype)), axis));
  const result = { shape: out.shape, values: Array.from(out.dataSync()) };
  out.dispose();
  return result;
}

// the row copies in wasm (assembly/rows.ts) and the element loop that runs where that module cannot
describe.each([
  ['wasm memory.copy', true],
  ['element loop', false],
] as const)('SplitV and Concat as strided row copies (%s)', (_, wasmModules) => {
  beforeAll(async () => {
    await setupBackend('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    setSimdKernelsEnabled(wasmModules);
  });
  afterAll(() => setSimdKernelsEnabled(true));

  it('replace the stock SplitV and Concat', () => {
    expect(isRowCopySplitV(tf.getKernel(tf.SplitV, 'wasm')!.kernelFunc)).toBe(true);
    expect(isRowCopyConcat(tf.getKernel(tf.Concat, 'wasm')!.kernelFunc)).toBe(true);
  });

  for (const [i, [shape, sizes, axis]] of SPLIT_CASES.entries()) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      it(`split ${JSON.stringify(sizes)} of [${shape}] on axis ${axis} (${dtype}) equals cpu, and concat restores it`, async () => {
        // 0/1 for bool: the stock wasm Cast does not map other values to 1
        const x = randomValues(makeRng(40 + i), shape).map((v) => (dtype === 'bool' ? Number(v > 0) : Math.round(v * 4)));
        const before = tf.memory().numTensors;
        const wasm = await splitValues('wasm', x, shape, sizes, axis, dtype);
        expect(wasm).toEqual(await splitValues('cpu', x, shape, sizes, axis, dtype));
        const parts = wasm.map((p) => ({ values: Float32Array.from(p.values), shape: p.shape }));
        const joined = await concatValues('wasm', parts, axis, dtype);
        expect(joined).toEqual(await concatValues('cpu', parts, axis, dtype));
        expect(joined.shape).toEqual(shape);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('concat skips empty inputs and keeps a single non-empty one whole', async () => {
    const a = { values: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    const empty = { values: new Float32Array(0), shape: [2, 0] };
    const b = { values: Float32Array.from([5, 6]), shape: [2, 1] };
    expect(await concatValues('wasm', [a, empty, b], 1, 'float32')).toEqual({ shape: [2, 3], values: [1, 2, 5, 3, 4, 6] });
    expect(await concatValues('wasm', [empty, a], 1, 'float32')).toEqual({ shape: [2, 2], values: [1, 2, 3, 4] });
  });

  it('gradients through split and concat match cpu', async () => {
    const shape = [2, 4, 4, 12];
    const x = randomValues(makeRng(9), shape);
    const w = randomValues(makeRng(10), shape);
    const grad = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const g = tf.tidy(() =>
        tf.grad((t: tf.Tensor) => {
          const [p, q, r] = tf.split(t, [6, 3, 3], 3);
          return tf.sum(tf.mul(tf.concat([tf.mul(q, 2), p, tf.square(r)], 3), tf.tensor(w, shape)));
        })(tf.tensor(x, shape)),
      );
      const values = Array.from(g.dataSync());
      g.dispose();
      return values;
    };
    const [wasmGrad, cpuGrad] = [await grad('wasm'), await grad('cpu')];
    for (const [j, v] of wasmGrad.entries()) expect(v).toBeCloseTo(cpuGrad[j], 5);
  });
});
