import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, manualSeed, valueAndGrads, type ImageClassifier, type ModelOverrides } from '@nextnets/core-layers';
import { createModel, reparameterize } from '../src/index.js';
import { randomInput, relMaxDiff, useWasm, values } from './helpers.js';

useWasm();

/** Mean softmax cross-entropy of logits [N, K] against integer labels. */
function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, numClasses), tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Minimal Adam (β = 0.9, 0.999), an AdamW-like step without decay: scale-free, so BN-heavy tiny nets train smoothly. */
function adamStep(model: ImageClassifier, grads: Record<string, tf.Tensor>, state: Map<string, [tf.Variable, tf.Variable]>, step: number, lr: number): void {
  tf.tidy(() => {
    for (const [name, p] of model.namedParameters()) {
      const g = grads[name];
      if (!g) continue;
      let s = state.get(name);
      if (!s) {
        s = [tf.variable(tf.zerosLike(g), false), tf.variable(tf.zerosLike(g), false)];
        state.set(name, s);
      }
      const [m, v] = s;
      m.assign(tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1)));
      v.assign(tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 0.001)));
      const mHat = tf.div(m, 1 - 0.9 ** (step + 1));
      const vHat = tf.div(v, 1 - 0.999 ** (step + 1));
      p.variable.assign(tf.sub(p.variable, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), 1e-8)), lr)));
    }
  });
}

function trainSteps(name: string, overrides: ModelOverrides, steps: number, lr: number) {
  manualSeed(11);
  const model = createModel(name, { numClasses: 10, ...overrides });
  model.train();
  const x = randomInput([8, 32, 32, 3], 5);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  const adam = new Map<string, [tf.Variable, tf.Variable]>();
  const bn = model.namedModules().find(([, m]) => m instanceof BatchNorm2d)![1] as BatchNorm2d;
  const runningMean0 = bn.runningMean.dataSync().slice();
  const losses: number[] = [];
  const leaks: number[] = [];
  for (let step = 0; step < steps; step++) {
    const before = tf.memory().numTensors;
    const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels, 10));
    losses.push(value.dataSync()[0]);
    adamStep(model, grads, adam, step, lr);
    value.dispose();
    tf.dispose(Object.values(grads));
    // The Adam moments are created on the first step; afterwards nothing may be left over.
    if (step > 0) leaks.push(tf.memory().numTensors - before);
  }
  const runningMeanMoved = maxAbsChange(bn.runningMean.dataSync(), runningMean0);
  model.eval();
  const evalLogits = values(() => model.forward(x));
  tf.dispose([x, labels, ...[...adam.values()].flat()]);
  return { model, losses, leaks, runningMeanMoved, evalLogits };
}

const maxAbsChange = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

/** Final loss 10% below the first, and the last three steps below the first three on average (drop path adds noise). */
function expectDecreasing(losses: number[]): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
}

describe('training on wasm (tiny configs, 32x32, batch 8)', () => {
  it('RepVGG (grouped, with drop path): loss decreases, BN running stats update, no tensor leak', () => {
    const { model, losses, leaks, runningMeanMoved, evalLogits } = trainSteps(
      'repvgg_b1g2',
      { depths: [1, 2, 2, 1], widths: [8, 16, 16, 32], stemChs: 8, dropPathRate: 0.1 },
      8,
      0.01,
    );
    expect(losses.every(Number.isFinite)).toBe(true);
    expectDecreasing(losses);
    expect(leaks.every((n) => n === 0)).toBe(true);
    expect(runningMeanMoved).toBeGreaterThan(0);
    // The trained model still fuses exactly.
    const x = randomInput([8, 32, 32, 3], 5);
    reparameterize(model);
    const fused = values(() => model.forward(x));
    expect(relMaxDiff(fused, evalLogits)).toBeLessThan(1e-4);
    x.dispose();
    model.dispose();
  });

  it('RepLKNet: loss decreases, BN running stats update, no tensor leak', () => {
    const { model, losses, leaks, runningMeanMoved } = trainSteps(
      'replknet_31b',
      { channels: [8, 8, 16, 16], depths: [1, 1, 1, 1], kernels: [7, 7, 5, 3], smallKernel: 3, dropPathRate: 0.1 },
      8,
      0.01,
    );
    expect(losses.every(Number.isFinite)).toBe(true);
    expectDecreasing(losses);
    expect(leaks.every((n) => n === 0)).toBe(true);
    expect(runningMeanMoved).toBeGreaterThan(0);
    model.dispose();
  });
});
