import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { isLastAxisSplitConcat } from '../src/kernels/last_axis_split_concat';
import { makeRng, randomValues } from './helpers';

beforeAll(async () => {
  await setupBackend('cpu');
  await setupBackend('wasm');
});

/** The op's outputs on a backend, as plain arrays (bit-exact comparison: split and concat only move floats). */
async function valuesOn(backend: string, op: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  return tf.tidy(() => [op()].flat().map((t) => Array.from(t.dataSync())));
}

describe('split and concat along the innermost axis on wasm', () => {
  it('are installed', () => {
    expect(isLastAxisSplitConcat(tf.getKernel(tf.SplitV, 'wasm')!.kernelFunc)).toBe(true);
    expect(isLastAxisSplitConcat(tf.getKernel(tf.Concat, 'wasm')!.kernelFunc)).toBe(true);
  });

  // InceptionNeXt's [C − 3g, g, g, g] channel split; a count of equal parts; an inferred size (−1); another axis and
  // int32 (the stock kernels)
  const cases: Array<[number[], number | number[], number, tf.DataType]> = [
    [[2, 5, 3, 40], [10, 10, 10, 10], 3, 'float32'],
    [[2, 5, 3, 41], [5, 12, 12, 12], -1, 'float32'],
    [[3, 12], 3, 1, 'float32'],
    [[4, 7, 9], [2, -1, 3], 2, 'float32'],
    [[4, 7, 9], [3, 4], 1, 'float32'],
    [[4, 6], [2, 4], 1, 'int32'],
  ];
  it.each(cases)('split of %j into %j along %i (%s), the concat back and their gradients equal cpu', async (shape, splits, axis, dtype) => {
    const xv = randomValues(makeRng(shape.length), shape).map((v) => (dtype === 'int32' ? Math.round(10 * v) : v));
    const op = () => {
      const x = tf.tensor(xv, shape, dtype);
      const parts = tf.split(x, splits, axis);
      const joined = tf.concat(parts.map((p, i) => tf.mul(p, i + 1)).reverse(), axis);
      if (dtype !== 'float32') return [...parts, joined];
      // the gradient of split is a concat, that of concat a split
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.concat(tf.split(t, splits, axis).reverse(), axis), tf.reshape(tf.range(0, t.size), shape))))(x);
      return [...parts, joined, grad];
    };
    const before = tf.memory().numTensors;
    const wasm = await valuesOn('wasm', op);
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm).toEqual(await valuesOn('cpu', op));
  });
});
