import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { trainLinear } from '../examples/trainLinear';

describe('README example (examples/trainLinear.ts)', () => {
  it('trains: loss goes down over 10 AdamW steps, EMA model is usable, nothing leaks', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const { losses, emaLoss } = await trainLinear(10);
    expect(tf.memory().numTensors).toBe(before);
    expect(losses).toHaveLength(10);
    expect(losses[0]).toBeCloseTo(Math.log(2), 5);
    expect(losses[9]).toBeLessThan(losses[0] * 0.7);
    expect(emaLoss).toBeLessThan(losses[0]);
  });
});
