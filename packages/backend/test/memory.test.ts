import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { makeRng, randomValues } from './helpers';

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('no tensor leaks', () => {
  it('repeated gradient steps through every custom kernel leave tf.memory().numTensors unchanged', () => {
    const rng = makeRng(3);
    const x = tf.tensor4d(randomValues(rng, [2, 7, 7, 4]), [2, 7, 7, 4]);
    const conv = tf.variable(tf.tensor4d(randomValues(rng, [3, 3, 4, 4]), [3, 3, 4, 4]), true, 'conv');
    const dw = tf.variable(tf.tensor4d(randomValues(rng, [7, 7, 4, 1]), [7, 7, 4, 1]), true, 'dw');
    const table = tf.variable(tf.tensor2d(randomValues(rng, [5, 4]), [5, 4]), true, 'table');
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.depthwiseConv2d(tf.conv2d(x, conv, 2, 'same'), dw, 1, 'same');
        const pooled = tf.maxPool(h, 2, 2, 'valid');
        const bias = tf.reshape(tf.gather(table, [1, 3], 0), [2, 1, 1, 4]);
        return tf.sum(tf.square(tf.add(pooled, bias)));
      });
      expect(Object.keys(grads).sort()).toEqual(['conv', 'dw', 'table']);
      value.dispose();
      tf.dispose(grads);
    };
    step();
    const before = tf.memory().numTensors;
    const heapBefore = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    // Scratch tensors the kernels allocate on the wasm heap must be freed too.
    expect(tf.engine().backend.numDataIds()).toBe(heapBefore);
    tf.dispose([x, conv, dw, table]);
  });
});
