import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { manualSeed, valueAndGrads, type ImageClassifier, type ModelOverrides } from '@nextnets/core-layers';
import { createModel } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

/** Mean softmax cross-entropy of logits [N, K] against integer labels. */
function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, numClasses), logProbs), 1))) as tf.Scalar;
  });
}

/**
 * A few SGD-with-momentum steps on one fixed batch (32×32, batch 6, 10 classes) in train mode. Returns the losses and
 * asserts that every step leaves the tensor count unchanged (momentum buffers are allocated before the first step).
 */
function trainSteps(model: ImageClassifier, steps: number, lr: number): number[] {
  const x = tf.randomNormal([6, 32, 32, 3], 0, 1, 'float32', 21);
  const y = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
  const params = new Map(model.namedParameters().map(([k, p]) => [k, p.variable]));
  const momentum = new Map(
    [...params].map(([k, v]) => {
      const zeros = tf.zerosLike(v);
      const buf = tf.variable(zeros, false);
      zeros.dispose();
      return [k, buf] as const;
    }),
  );
  model.train();
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const before = tf.memory().numTensors;
    const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), y, 10));
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const buf = momentum.get(name)!;
        buf.assign(tf.add(tf.mul(buf, 0.9), g));
        params.get(name)!.assign(tf.sub(params.get(name)!, tf.mul(buf, lr)));
      }
    });
    losses.push(value.dataSync()[0]);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    expect(tf.memory().numTensors, `step ${step}`).toBe(before);
  }
  [x, y, ...momentum.values()].forEach((t) => t.dispose());
  return losses;
}

const TINY: Array<[string, string, ModelOverrides]> = [
  [
    'MobileNeXt (all four SGBlock cases, identity blocks)',
    'mobilenext_100',
    {
      numClasses: 10,
      stemChannels: 8,
      dropRate: 0.1,
      dropPathRate: 0.1,
      stages: [
        { t: 2, c: 16, n: 1, s: 2 },
        { t: 6, c: 24, n: 1, s: 1 },
        { t: 6, c: 32, n: 2, s: 2 },
        { t: 6, c: 40, n: 2, s: 1 },
      ],
    },
  ],
  [
    'EfficientNetV2 (cn, Fused-MBConv, MBConv+SE; tf-same, eps 1e-3)',
    'tf_efficientnetv2_b0',
    {
      numClasses: 10,
      stemSize: 8,
      numFeatures: 64,
      dropRate: 0.1,
      dropPathRate: 0.1,
      stages: ['cn_r1_k3_s1_e1_c8_skip', 'er_r2_k3_s2_e4_c16', 'ir_r2_k3_s2_e4_c24_se0.25'],
    },
  ],
];

describe('training smoke test on wasm', () => {
  for (const [label, name, overrides] of TINY) {
    it(label, () => {
      manualSeed(3);
      const model = createModel(name, overrides);
      const losses = trainSteps(model, 8, 0.05);
      console.log(`${label}: losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
      // BatchNorm running statistics were updated by the train-mode passes.
      const runningVar = model.namedBuffers().find(([k]) => k.endsWith('running_var'))![1].variable;
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(runningVar, 1))).dataSync()[0])).toBeGreaterThan(0);
      model.dispose();
    });
  }
});
