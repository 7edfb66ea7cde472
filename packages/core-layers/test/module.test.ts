import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm2d, Conv2d, GlobalResponseNorm, Linear, Sequential, loadStateDict, manualSeed, stateDict, tfSamePad } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Module state dict', () => {
  it('names keys like timm and round-trips PyTorch layouts', () => {
    manualSeed(1);
    const net = new Sequential([
      new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 }),
      new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 7, padding: 3, groups: 8 }),
      new BatchNorm2d(8),
      new Linear({ inFeatures: 8, outFeatures: 4 }),
      new Linear({ inFeatures: 4, outFeatures: 6, checkpointAs: 'conv1x1' }),
    ]);
    const sd = stateDict(net);
    expect([...sd.keys()]).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias', '3.weight', '3.bias', '4.weight', '4.bias',
      '2.running_mean', '2.running_var',
    ]);
    expect(sd.get('0.weight')!.shape).toEqual([8, 3, 3, 3]);
    expect(sd.get('1.weight')!.shape).toEqual([8, 1, 7, 7]);
    expect(sd.get('3.weight')!.shape).toEqual([4, 8]);
    expect(sd.get('4.weight')!.shape).toEqual([6, 4, 1, 1]);
    manualSeed(2);
    const other = new Sequential([
      new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 }),
      new Conv2d({ inChannels: 8, outChannels: 8, kernelSize: 7, padding: 3, groups: 8 }),
      new BatchNorm2d(8),
      new Linear({ inFeatures: 8, outFeatures: 4 }),
      new Linear({ inFeatures: 4, outFeatures: 6, checkpointAs: 'conv1x1' }),
    ]);
    loadStateDict(other, sd);
    const x = tf.randomNormal([2, 5, 5, 3]);
    const a = tf.tidy(() => net.eval().forward(x));
    const b = tf.tidy(() => other.eval().forward(x));
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
  });

  it('rejects shape mismatches and unknown keys with one line naming the key', () => {
    const lin = new Linear({ inFeatures: 3, outFeatures: 2 });
    const bad = new Map([['weight', { shape: [3, 2], data: new Float32Array(6) }], ['bias', { shape: [2], data: new Float32Array(2) }]]);
    expect(() => loadStateDict(lin, bad, { source: 'x.safetensors' })).toThrow(
      "x.safetensors: key 'weight' has shape [3,2] in checkpoint but [2,3] in model",
    );
    const extra = new Map([...stateDict(lin), ['head.fc.weight', { shape: [1], data: new Float32Array(1) }]]);
    expect(() => loadStateDict(lin, extra)).toThrow("unexpected key 'head.fc.weight' in checkpoint");
    expect(loadStateDict(lin, extra, { strict: false }).unexpectedKeys).toEqual(['head.fc.weight']);
  });
});

describe('layers', () => {
  it('grouped conv equals per-group dense convs', () => {
    const conv = new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, bias: false });
    const x = tf.randomNormal([1, 5, 5, 4]) as tf.Tensor4D;
    const y = conv.forward(x);
    const w = conv.weight as tf.Tensor4D;
    const y0 = tf.conv2d(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 2]), tf.slice(w, [0, 0, 0, 0], [-1, -1, -1, 3]), 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    expect(tf.max(tf.abs(tf.sub(tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, 3]), y0))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('TF SAME padding puts the extra row at the bottom', () => {
    expect(tfSamePad(64, 3, 2, 1)).toEqual([0, 1]);
    expect(tfSamePad(65, 3, 2, 1)).toEqual([1, 1]);
    expect(tfSamePad(7, 3, 1, 1)).toEqual([1, 1]);
  });

  it('BatchNorm updates running stats like PyTorch (unbiased variance, momentum 0.1)', () => {
    const bn = new BatchNorm2d(1);
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = bn.forward(x);
    expect(bn.runningMean.dataSync()[0]).toBeCloseTo(0.25, 6);
    expect(bn.runningVar.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    const yv = y.dataSync();
    expect(yv[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-5), 5);
  });

  it('GRN matches the spec formula by hand', () => {
    const grn = new GlobalResponseNorm(2);
    grn.weight.assign(tf.tensor1d([0.5, -1]));
    grn.bias.assign(tf.tensor1d([0.1, 0.2]));
    const x = tf.tensor4d([3, 0, 4, 1], [1, 2, 1, 2]); // channel 0: [3,4] → ‖·‖=5; channel 1: [0,1] → 1
    const out = grn.forward(x).dataSync();
    const mean = (5 + 1) / 2 + 1e-6;
    const n0 = 5 / mean;
    const n1 = 1 / mean;
    const expected = [0.5 * 3 * n0 + 0.1 + 3, -1 * 0 * n1 + 0.2 + 0, 0.5 * 4 * n0 + 0.1 + 4, -1 * 1 * n1 + 0.2 + 1];
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 5));
  });
});
