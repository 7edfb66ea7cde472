import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { makeRng, randomValues } from './helpers';

/** x·w summed (so every element of the reduction's dy differs) through a Sum or Mean over `axis`. */
function weightedReduction(op: 'sum' | 'mean', x: tf.Tensor, axis: number | number[], keepDims: boolean, w: tf.Tensor): tf.Scalar {
  const r = op === 'sum' ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
  return tf.sum(tf.mul(r, w));
}

describe('lean Sum, Mean and Relu gradients', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('are the registered gradients', () => {
    for (const name of [tf.Sum, tf.Mean]) expect(tf.getGradient(name)?.gradFunc.toString()).toContain('fill');
    expect(tf.getGradient(tf.Relu)?.outputsToSave).toEqual([true]);
  });

  it('relu: dx = dy where x > 0, else 0 (x = 0 included), from the saved output', () => {
    const x = tf.tensor1d([-2, -0, 0, 1e-30, 3, -1e-30]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const dx = tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 4, 5, 0]);
    tf.dispose([x, dy, dx]);
  });

  const cases: Array<{ shape: number[]; axis: number | number[] }> = [
    { shape: [3, 4, 5, 6], axis: [1, 2] },
    { shape: [3, 4, 5, 6], axis: -1 },
    { shape: [3, 4, 5, 6], axis: [0, 1, 2, 3] },
    { shape: [2, 7], axis: 0 },
  ];
  for (const op of ['sum', 'mean'] as const) {
    for (const { shape, axis } of cases) {
      for (const keepDims of [false, true]) {
        it(`${op} over ${JSON.stringify(axis)} of [${shape}] keepDims=${keepDims}: dx = dy broadcast (/N for mean)`, () => {
          const rng = makeRng(shape.length);
          const x = tf.tensor(randomValues(rng, shape), shape);
          const reducedShape = tf.sum(x, axis, keepDims).shape;
          const w = tf.tensor(randomValues(rng, reducedShape), reducedShape);
          const dx = tf.grad((t: tf.Tensor) => weightedReduction(op, t, axis, keepDims, w))(x);
          const axes = tf.util.parseAxisParam(axis, shape);
          const n = axes.reduce((p, a) => p * shape[a], 1);
          const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const expected = tf.mul(tf.reshape(op === 'mean' ? tf.div(w, n) : w, kept), tf.ones(shape));
          expect(dx.shape).toEqual(shape);
          expect(Array.from(dx.dataSync())).toEqual(Array.from(expected.dataSync()));
          tf.dispose([x, w, dx, expected]);
        });
      }
    }
  }

  it('leave no tensors behind', () => {
    const x = tf.ones([2, 3, 3, 4]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad((t: tf.Tensor) => tf.sum(tf.relu(tf.mean(t, [1, 2]))))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
