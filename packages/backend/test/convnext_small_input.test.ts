import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative source imports, as in bench/convnext-atto.ts: a workspace dependency on the model packages would make a
// dependency cycle (they use this package in their tests).
import { valueAndGrads, type ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
import { AdamW, crossEntropy } from '../../optim/src/index';
import { setupBackend } from '../src/index';
import { makeRng, maxRelDiff, randomValues } from './helpers';

/**
 * The reported crash: ConvNeXt-atto with patchSize 2 on 16x16 inputs reaches a 1x1 map before its last 2x2 stride-2
 * downsample, whose output is then [n, 0, 0, c] (the stock wasm conv wrote into a 0-byte allocation and the training
 * step died with "memory access out of bounds"). Training must now run and match tfjs-backend-cpu, which lets the
 * empty stage contribute nothing.
 */
const ARGS = { numClasses: 10, depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], patchSize: 2 };

describe('convnext_atto on inputs smaller than its total stride (wasm)', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it.each([1, 3])('forward, backward and AdamW steps with %i input channel(s) match cpu', async (inChans) => {
    await tf.setBackend('wasm');
    const model = createModel('convnext_atto', { ...ARGS, inChans }) as ImageClassifier;
    model.train();
    const x = tf.tensor4d(randomValues(makeRng(inChans), [4, 16, 16, inChans]), [4, 16, 16, inChans]);
    const labels = tf.tensor1d([1, 4, 7, 9], 'int32');
    const lossAndGrads = () =>
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels));
        const names = Object.keys(grads).sort();
        return { loss: value.dataSync()[0], names, grads: names.map((n) => Float32Array.from(grads[n].dataSync())) };
      });
    const onWasm = lossAndGrads();
    await tf.setBackend('cpu');
    const onCpu = lossAndGrads();
    await tf.setBackend('wasm');

    expect(Number.isFinite(onWasm.loss)).toBe(true);
    expect(onWasm.loss).toBeCloseTo(onCpu.loss, 5);
    expect(onWasm.names).toEqual(onCpu.names);
    onWasm.grads.forEach((g, i) => expect(maxRelDiff(g, onCpu.grads[i]), onWasm.names[i]).toBeLessThan(1e-4));

    const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
    const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
    for (let step = 0; step < 3; step++) {
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels));
        optimizer.step(grads);
        expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      });
    }
    optimizer.dispose();
    tf.dispose([x, labels]);
  });
});
