import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { isPatchifyConv } from '../src/kernels/patchify_conv';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { isSumLeadingAxes } from '../src/kernels/sum_leading_axes';
import { makeRng, maxRelDiff, randomValues, runOn } from './helpers';

beforeAll(async () => {
  await setupBackend('cpu');
  await setupBackend('wasm');
});

describe('Sum over leading axes on wasm', () => {
  it('is installed', () => {
    expect(isSumLeadingAxes(tf.getKernel(tf.Sum, 'wasm')!.kernelFunc)).toBe(true);
  });

  // Leading axes and runs of middle axes (the fast path), innermost / all / non-consecutive axes (the stock kernel),
  // keepDims both ways.
  const cases: Array<[number[], number | number[], boolean]> = [
    [[13, 7], 0, false],
    [[3, 5, 7, 9], [0, 1, 2], false],
    [[3, 5, 7, 9], [1, 0], true],
    [[4, 6, 5], -1, false],
    [[4, 6, 5], 1, true],
    [[4, 6, 5], [0, 1, 2], false],
    // column blocks of 8 plus a tail (the SIMD loop of assembly/reduce.ts)
    [[13, 21], 0, false],
    [[5, 3, 40], [0, 1], true],
    // middle axes: ConvNeXt V2's GRN (spatial axes of NHWC, or of [B, HW, C]), and runs inside a rank-5 tensor
    [[2, 5, 3, 40], [1, 2], true],
    [[3, 49, 21], 1, false],
    [[2, 3, 4, 5, 6], [2, 3], true],
    [[2, 3, 4, 5, 6], [1, 2, 3], false],
    [[2, 3, 4, 5], [0, 2], false],
  ];
  it.each(cases)('sum of %j over %j (keepDims %s) equals cpu', async (shape, axis, keepDims) => {
    const xv = randomValues(makeRng(shape.length * 7), shape);
    const run = () => tf.sum(tf.tensor(xv, shape), axis, keepDims);
    const before = tf.memory().numTensors;
    const actual = await runOn('wasm', run);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxRelDiff(actual, await runOn('cpu', run))).toBeLessThan(1e-5);
  });

  it.each([
    [[37, 29], 0],
    [[3, 37, 29], 1],
  ])('gives the same bits with and without the SIMD module (float64 column sums, one rounding): %j over %j', async (shape, axis) => {
    const xv = randomValues(makeRng(11), shape).map((v, i) => v * 10 ** ((i % 7) - 3));
    const run = () => tf.sum(tf.tensor(xv, shape), axis);
    const simd = await runOn('wasm', run);
    setSimdKernelsEnabled(false);
    try {
      expect(Array.from(await runOn('wasm', run))).toEqual(Array.from(simd));
    } finally {
      setSimdKernelsEnabled(true);
    }
  });

  it('leaves int32 sums to the stock kernel', async () => {
    await tf.setBackend('wasm');
    const s = tf.tidy(() => tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0).arraySync());
    expect(s).toEqual([4, 6]);
  });
});

/** Buffers the wasm backend holds: also counts kernel-internal intermediates that were never disposed. */
function wasmDataIds(): number {
  return (tf.findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}

/** `run` on wasm equals cpu (relative 1e-5) and leaves neither a tensor nor a wasm buffer behind. */
async function expectWasmEqualsCpu(run: () => tf.Tensor): Promise<void> {
  const before = tf.memory().numTensors;
  const dataIdsBefore = wasmDataIds();
  const actual = await runOn('wasm', run);
  expect(tf.memory().numTensors).toBe(before);
  expect(wasmDataIds()).toBe(dataIdsBefore);
  expect(maxRelDiff(actual, await runOn('cpu', run))).toBeLessThan(1e-5);
}

describe('patchify Conv2D and Conv2DBackpropInput on wasm', () => {
  it('are installed', () => {
    expect(isPatchifyConv(tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc)).toBe(true);
    expect(isPatchifyConv(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc)).toBe(true);
  });

  // Patchify (stride = kernel, valid): 2×2, 4×4, 3×2 with odd channel counts; inputs with rows/columns no window
  // reaches (9 = 2·4 + 1; 7×7 → 3×3 as in a 56-pixel ConvNeXt's last downsample; one image, whose row-only slice is one
  // contiguous block); then cases the stock kernel keeps: stride ≠ kernel, 'same' padding, a 1×1 kernel.
  const cases: Array<{ x: [number, number, number, number]; f: [number, number, number, number]; s: [number, number]; pad: 'valid' | 'same' }> = [
    { x: [2, 8, 6, 5], f: [2, 2, 5, 7], s: [2, 2], pad: 'valid' },
    { x: [3, 8, 8, 3], f: [4, 4, 3, 9], s: [4, 4], pad: 'valid' },
    { x: [2, 9, 4, 4], f: [3, 2, 4, 6], s: [3, 2], pad: 'valid' },
    { x: [2, 9, 8, 3], f: [2, 2, 3, 4], s: [2, 2], pad: 'valid' },
    { x: [2, 7, 7, 5], f: [2, 2, 5, 6], s: [2, 2], pad: 'valid' },
    { x: [1, 7, 6, 3], f: [2, 2, 3, 4], s: [2, 2], pad: 'valid' },
    { x: [3, 6, 11, 2], f: [4, 4, 2, 3], s: [4, 4], pad: 'valid' },
    { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: [2, 2], pad: 'valid' },
    { x: [2, 8, 8, 3], f: [2, 2, 3, 4], s: [2, 2], pad: 'same' },
    { x: [3, 5, 7, 6], f: [1, 1, 6, 5], s: [1, 1], pad: 'valid' },
  ];
  it.each(cases)('conv2d %j equals cpu', async (c) => {
    const rng = makeRng(c.x[2] * 17 + c.f[1]);
    const xv = randomValues(rng, c.x);
    const wv = randomValues(rng, c.f);
    const conv = () => tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(wv, c.f), c.s, c.pad);
    await expectWasmEqualsCpu(conv);
  });
  it.each(cases)('input gradient of conv2d %j equals cpu', async (c) => {
    const rng = makeRng(c.x[1] * 31 + c.f[0]);
    const xv = randomValues(rng, c.x);
    const wv = randomValues(rng, c.f);
    const outShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad).outShape;
    const dyv = randomValues(rng, outShape);
    const grad = () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, tf.tensor4d(wv, c.f), c.s, c.pad), tf.tensor(dyv, outShape))))(
        tf.tensor4d(xv, c.x),
      );
    await expectWasmEqualsCpu(grad);
  });
});

describe('Identity on wasm shares data', () => {
  it('clones stay valid after the source is disposed, and data buffers are freed with the last reference', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIdsBefore = backend.numDataIds();
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.clone(a);
    const c = tf.clone(b);
    expect(backend.numDataIds()).toBe(dataIdsBefore + 1);
    a.dispose();
    expect(b.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    c.dispose();
    expect(backend.numDataIds()).toBe(dataIdsBefore);
  });
});
