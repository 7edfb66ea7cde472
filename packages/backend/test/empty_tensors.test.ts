import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { isEmptyTensorGuard } from '../src/kernels/empty_tensors';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { makeRng, randomValues } from './helpers';

/**
 * Regression for the "memory access out of bounds" crash training ConvNeXt on inputs smaller than its total stride:
 * the last 2x2 stride-2 downsample sees a 1x1 map, so its output is [n, 0, 0, c]; the stock XNNPACK kernels write a
 * 1x1 output into the 0-byte allocation and corrupt the wasm heap. Every op below has an empty result or reduces
 * over an empty axis; each must equal tfjs-backend-cpu and leave the tensors around it on the heap untouched.
 */

type Fn = () => tf.Tensor | tf.Tensor[];

function t(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(makeRng(seed), shape), shape);
}
const t4 = (shape: number[], seed: number) => t(shape, seed) as tf.Tensor4D;
const sumOf = (y: tf.Tensor) => tf.sum(tf.mul(y, t(y.shape, 99)));

const CASES: Array<[string, Fn]> = [
  ['conv2d 2x2/2 on 1x1', () => tf.conv2d(t4([3, 1, 1, 5], 1), t4([2, 2, 5, 7], 2), 2, 'valid')],
  ['conv2d on 0x0, same', () => tf.conv2d(t4([2, 0, 0, 4], 1), t4([3, 3, 4, 5], 2), 1, 'same')],
  ['conv2d, 0 input channels', () => tf.conv2d(t4([2, 3, 3, 0], 1), t4([3, 3, 0, 5], 2), 1, 'same')],
  ['patchify conv2d, 0 input channels', () => tf.conv2d(t4([2, 4, 4, 0], 1), t4([2, 2, 0, 5], 2), 2, 'valid')],
  ['fused conv2d 2x2/2 on 1x1', () => tf.fused.conv2d({ x: t4([3, 1, 1, 5], 1), filter: t4([2, 2, 5, 7], 2), strides: 2, pad: 'valid', bias: t([7], 3) })],
  ['fused conv2d, 0 input channels (bias, relu)', () =>
    tf.fused.conv2d({ x: t4([2, 3, 3, 0], 1), filter: t4([1, 1, 0, 5], 2), strides: 1, pad: 'valid', bias: t([5], 3), activation: 'relu' })],
  ['depthwise 7x7 same on 0x0', () => tf.depthwiseConv2d(t4([3, 0, 0, 21], 1), t4([7, 7, 21, 1], 2), 1, 'same')],
  ['depthwise 2x2 valid on 1x1', () => tf.depthwiseConv2d(t4([3, 1, 1, 21], 1), t4([2, 2, 21, 1], 2), 1, 'valid')],
  ['depthwise x2 2x2 valid on 1x1', () => tf.depthwiseConv2d(t4([3, 1, 1, 5], 1), t4([2, 2, 5, 2], 2), 1, 'valid')],
  ['fused depthwise on 0x0', () => tf.fused.depthwiseConv2d({ x: t4([3, 0, 0, 21], 1), filter: t4([7, 7, 21, 1], 2), strides: 1, pad: 'same', bias: t([21], 3) })],
  ['maxPool 2x2/2 on 1x1', () => tf.maxPool(t4([3, 1, 1, 6], 1), 2, 2, 'valid')],
  ['avgPool 2x2/2 on 1x1', () => tf.avgPool(t4([3, 1, 1, 6], 1), 2, 2, 'valid')],
  ['matMul M=0', () => tf.matMul(t([0, 9], 1), t([9, 4], 2))],
  ['matMul K=0', () => tf.matMul(t([6, 0], 1), t([0, 4], 2))],
  ['matMul K=0, transposeA', () => tf.matMul(t([0, 6], 1), t([0, 4], 2), true, false)],
  ['batched matMul K=0, transposeB', () => tf.matMul(t([2, 3, 0], 1), t([2, 5, 0], 2), false, true)],
  ['fused matMul M=0', () => tf.fused.matMul({ a: t([1, 0, 9], 1), b: t([1, 9, 4], 2), bias: t([4], 3) })],
  ['fused matMul K=0 (bias, relu)', () => tf.fused.matMul({ a: t([5, 0], 1), b: t([0, 7], 2), bias: t([7], 3), activation: 'relu' })],
  ['sum over empty axes', () => [tf.sum(t([4, 0, 0, 6], 1), [0, 1, 2]), tf.sum(t([4, 0, 6], 1), [1], true)]],
  ['mean over empty axes', () => tf.mean(t([4, 0, 0, 6], 1), [1, 2])],
  ['prod / max / min over an empty axis', () => [tf.prod(t([4, 0, 6], 1), [1]), tf.max(t([4, 0, 6], 1), [1]), tf.min(t([4, 0, 6], 1), 1)]],
  ['transpose of empty', () => [tf.transpose(t([0, 6], 1)), tf.transpose(t([2, 0, 0, 6], 1), [0, 2, 1, 3])]],
  ['conv2d gradients, empty output', () =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => sumOf(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid')))([t([3, 1, 1, 5], 1), t([2, 2, 5, 7], 2)])],
  ['patchify conv2d gradients, empty input', () =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => sumOf(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid')))([t([3, 0, 0, 5], 1), t([2, 2, 5, 7], 2)])],
  ['depthwise gradients on 0x0', () =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => sumOf(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))([t([3, 0, 0, 21], 1), t([7, 7, 21, 1], 2)])],
  ['depthwise gradients, empty output', () =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => sumOf(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')))([t([3, 1, 1, 21], 1), t([2, 2, 21, 1], 2)])],
  ['pool gradients, empty output', () => [
    tf.grad((x: tf.Tensor) => sumOf(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')))(t([3, 1, 1, 6], 1)),
    tf.grad((x: tf.Tensor) => sumOf(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid')))(t([3, 1, 1, 6], 1)),
  ]],
];

interface Result {
  shapes: number[][];
  values: number[][];
}

function evaluate(fn: Fn): Result {
  const out = tf.tidy(fn);
  const outs = Array.isArray(out) ? out : [out];
  const result = { shapes: outs.map((o) => o.shape), values: outs.map((o) => Array.from(o.dataSync())) };
  tf.dispose(outs);
  return result;
}

/**
 * Runs `fn` on wasm between live "canary" tensors: small freed chunks interleaved with them make the allocator
 * place small (and 0-byte) outputs right before a canary, so a write past an output's end lands in one.
 */
function evaluateAmongCanaries(fn: Fn): { result: Result; clobbered: number } {
  const holes: tf.Tensor[] = [];
  const canaries: tf.Tensor[] = [];
  for (let i = 0; i < 300; i++) {
    holes.push(tf.fill([1 + (i % 8)], 1));
    canaries.push(tf.fill([64], 7.5));
  }
  tf.dispose(holes);
  const result = evaluate(fn);
  const clobbered = canaries.filter((c) => c.dataSync().some((v) => v !== 7.5)).length;
  tf.dispose(canaries);
  return { result, clobbered };
}

describe('empty tensors on wasm', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });
  afterAll(() => setSimdKernelsEnabled(true));

  // Conv2D's guard sits under the patchify wrapper (patchify_conv.ts), FusedConv2D's under the im2col one
  // (conv2d_im2col.ts); the conv2d and fused conv2d CASES below run through them.
  it('guards the stock convolution and pool kernels', () => {
    for (const name of [tf.MaxPool, tf.AvgPool, tf.MaxPoolGrad, tf.Transpose]) {
      expect(isEmptyTensorGuard(tf.getKernel(name, 'wasm')!.kernelFunc), name).toBe(true);
    }
  });

  for (const simd of [true, false]) {
    it.each(CASES)(`%s equals cpu and writes nothing outside its outputs (SIMD kernels ${simd ? 'on' : 'off'})`, async (_name, fn) => {
      await tf.setBackend('cpu');
      const expected = evaluate(fn);
      await tf.setBackend('wasm');
      setSimdKernelsEnabled(simd);
      const tensors = tf.memory().numTensors;
      const dataIds = tf.engine().backend.numDataIds();
      const { result, clobbered } = evaluateAmongCanaries(fn);
      setSimdKernelsEnabled(true);
      expect(clobbered).toBe(0);
      expect(result.shapes).toEqual(expected.shapes);
      // toEqual treats NaN as equal to NaN (cpu's max / min of an empty axis).
      expect(result.values.map((v) => v.map((x) => Math.fround(x)))).toEqual(expected.values.map((v) => v.map((x) => Math.fround(x))));
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    });
  }

  it('rejects a window that does not fit its input in one line', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.conv2d(t4([2, 1, 1, 4], 1), t4([3, 3, 4, 5], 2), 1, 'valid')).toThrow(
      /^Conv2D: the window does not fit the input \(x \[2,1,1,4\], filter \[3,3,4,5\]\): output shape \[2,-1,-1,5\]$/,
    );
  });
});
