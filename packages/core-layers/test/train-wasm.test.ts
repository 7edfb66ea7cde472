import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { manualSeed, valueAndGrads } from '../src/index.js';
import { TinyConvNeXt } from './tiny-convnext.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('training on the wasm backend', () => {
  it('a tiny ConvNeXt-style model trains 20 steps: loss goes down, no tensor leaks', () => {
    manualSeed(0);
    const model = new TinyConvNeXt(4).train();
    // A fixed batch whose label is the brightest quadrant: learnable, and memorisable in 20 steps.
    const x = tf.tidy(() => tf.add(tf.randomNormal([16, 16, 16, 3], 0, 0.5, 'float32', 1), 0));
    const labels = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32');
    const bright = tf.tidy(() => {
      const masks = [0, 1, 2, 3].map((q) => {
        const m = tf.buffer([1, 16, 16, 1]);
        for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) m.set(1, 0, r + (q >> 1) * 8, c + (q & 1) * 8, 0);
        return m.toTensor();
      });
      return tf.concat(Array.from({ length: 16 }, (_, i) => masks[i % 4]), 0);
    });
    const inputs = tf.add(x, bright);
    const oneHot = tf.oneHot(labels, 4);
    const lr = 0.01;
    const beta1 = 0.9;
    const beta2 = 0.999;
    const params = model.namedParameters();
    const m1 = params.map(([, p]) => tf.variable(tf.zerosLike(p.variable), false));
    const m2 = params.map(([, p]) => tf.variable(tf.zerosLike(p.variable), false));
    const losses: number[] = [];
    let baseline = -1;
    for (let step = 1; step <= 20; step++) {
      const { value, grads } = valueAndGrads(model, () =>
        tf.losses.softmaxCrossEntropy(oneHot, model.forward(inputs)) as tf.Scalar,
      );
      tf.tidy(() => {
        params.forEach(([name, p], i) => {
          // Adam, enough to check that gradients flow everywhere (the real optimizers live in @nextnets/optim).
          const g = grads[name];
          m1[i].assign(tf.add(tf.mul(m1[i], beta1), tf.mul(g, 1 - beta1)));
          m2[i].assign(tf.add(tf.mul(m2[i], beta2), tf.mul(tf.square(g), 1 - beta2)));
          const mh = tf.div(m1[i], 1 - beta1 ** step);
          const vh = tf.div(m2[i], 1 - beta2 ** step);
          p.variable.assign(tf.sub(p.variable, tf.mul(lr, tf.div(mh, tf.add(tf.sqrt(vh), 1e-8)))));
        });
      });
      losses.push(value.dataSync()[0]);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      expect(Object.keys(grads).length).toBe(params.length);
      if (step === 2) baseline = tf.memory().numTensors;
      if (step > 2) expect(tf.memory().numTensors).toBe(baseline);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]).toBeLessThan(losses[0] * 0.5);
    // Running-average of the last five steps keeps decreasing relative to the first five (robust to drop-path noise).
    const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(avg(losses.slice(15))).toBeLessThan(avg(losses.slice(0, 5)));
  });
});
