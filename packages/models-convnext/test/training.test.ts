import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type ModelOverrides } from '@nextnets/core-layers';
import { createModel } from '../src/index.js';
import { TinyAdamW, crossEntropy, seededNormal, useWasm } from './helpers.js';

beforeAll(useWasm);

const CASES: Array<[string, ModelOverrides]> = [
  ['convnext_atto', { numClasses: 10, patchSize: 2 }],
  ['convnextv2_atto', { numClasses: 10, patchSize: 2, depths: [1, 1, 2, 1], dims: [16, 32, 48, 64] }],
  ['inception_next_atto', { numClasses: 10, patchSize: 2, depths: [1, 1, 2, 1], dims: [16, 32, 48, 64] }],
];

describe.each(CASES)('%s trains on wasm', (name, overrides) => {
  it('takes 3 AdamW steps on a 32×32 batch of 8 with finite, decreasing loss and no tensor leak', () => {
    const model = createModel(name, overrides);
    model.train();
    const x = seededNormal([8, 32, 32, 3], 7);
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
    const opt = new TinyAdamW(
      model.namedParameters().map(([n, p]) => [n, p.variable]),
      (n) => model.noWeightDecay(n),
    );
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const before = tf.memory().numTensors;
      const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels, 10));
      losses.push(value.dataSync()[0]);
      opt.step(grads);
      value.dispose();
      tf.dispose(Object.values(grads));
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[1]).toBeLessThan(losses[0]);
    expect(losses[2]).toBeLessThan(losses[1]);
    opt.dispose();
    tf.dispose([x, labels]);
    model.dispose();
  });
});
