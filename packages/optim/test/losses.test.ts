import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits, classificationLoss, crossEntropy, softTargetCrossEntropy } from '../src/index';
import { useCpu } from './helpers';

const value = (t: tf.Scalar): number => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('losses (hand computations)', () => {
  beforeAll(useCpu);

  it('crossEntropy with and without label smoothing', () => {
    // logits [0, ln 3] → p = [1/4, 3/4]
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    expect(value(crossEntropy(logits, [1]))).toBeCloseTo(-Math.log(0.75), 6);
    expect(value(crossEntropy(logits, tf.tensor1d([0], 'int32')))).toBeCloseTo(-Math.log(0.25), 6);
    const s = 0.2;
    const expected = (1 - s) * -Math.log(0.75) + (s * (-Math.log(0.25) - Math.log(0.75))) / 2;
    expect(value(crossEntropy(logits, [1], { labelSmoothing: s }))).toBeCloseTo(expected, 6);
    logits.dispose();
  });

  it('is stable for huge logits and averages over the batch', () => {
    const logits = tf.tensor2d([
      [1000, 0],
      [0, 0],
    ]);
    expect(value(crossEntropy(logits, [1, 0]))).toBeCloseTo((1000 + Math.log(2)) / 2, 3);
    logits.dispose();
  });

  it('softTargetCrossEntropy and binaryCrossEntropyWithLogits', () => {
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const targets = tf.tensor2d([[0.5, 0.5]]);
    expect(value(softTargetCrossEntropy(logits, targets))).toBeCloseTo(-0.5 * Math.log(0.25) - 0.5 * Math.log(0.75), 6);
    const x = tf.tensor2d([[0, 100, -100]]);
    const t = tf.tensor2d([[1, 0, 0]]);
    expect(value(binaryCrossEntropyWithLogits(x, t))).toBeCloseTo((Math.log(2) + 100 + 0) / 3, 4);
    tf.dispose([logits, targets, x, t]);
  });

  it('classificationLoss: soft-target CE when targets are given, else label-smoothed CE', () => {
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const targets = tf.tensor2d([[0.5, 0.5]]);
    const s = 0.2;
    const smoothed = (1 - s) * -Math.log(0.75) + (s * (-Math.log(0.25) - Math.log(0.75))) / 2;
    expect(value(classificationLoss(logits, { labels: [1] }, s))).toBeCloseTo(smoothed, 6);
    expect(value(classificationLoss(logits, { labels: [1] }))).toBeCloseTo(-Math.log(0.75), 6);
    expect(value(classificationLoss(logits, { labels: [1], targets }, s))).toBeCloseTo(-0.5 * Math.log(0.25) - 0.5 * Math.log(0.75), 6);
    tf.dispose([logits, targets]);
  });

  it('leaks nothing and rejects bad input', () => {
    const logits = tf.tensor2d([[0, 1, 2]]);
    const before = tf.memory().numTensors;
    value(crossEntropy(logits, [2], { labelSmoothing: 0.1 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => crossEntropy(logits, [3])).toThrow('label 3 at index 0 is outside 0..2');
    expect(() => crossEntropy(logits, [0, 1])).toThrow('got 2 labels for a batch of 1');
    expect(() => crossEntropy(tf.zeros([3]), [0])).toThrow('logits must be [batch, classes], got shape [3]');
    expect(() => softTargetCrossEntropy(logits, tf.zeros([1, 2]))).toThrow('targets shape [1,2] must equal logits shape [1,3]');
    logits.dispose();
  });
});
