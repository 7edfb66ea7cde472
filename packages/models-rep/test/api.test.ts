import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, stateDict, withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, reparameterize } from '../src/index.js';
import { randomInput, useWasm } from './helpers.js';

useWasm();

describe('optimizer facts', () => {
  it('RepVGG noWeightDecay follows the official recipe (identity BN weight decayed)', () => {
    const model = withShapeOnlyInit(() => createModel('repvgg_a0'));
    expect(model.noWeightDecay('stages.0.1.identity.weight')).toBe(false);
    expect(model.noWeightDecay('stages.0.1.identity.bias')).toBe(true);
    expect(model.noWeightDecay('stages.0.1.conv_kxk.bn.weight')).toBe(true);
    expect(model.noWeightDecay('stages.0.1.conv_1x1.bn.weight')).toBe(true);
    expect(model.noWeightDecay('head.fc.bias')).toBe(true);
    expect(model.noWeightDecay('stages.0.1.conv_kxk.conv.weight')).toBe(false);
    expect(model.noWeightDecay('head.fc.weight')).toBe(false);
  });

  it('RepLKNet layer-decay ids follow get_num_layer_for_replknet (RepLKNet; official replknet.py)', () => {
    const model = withShapeOnlyInit(() => createModel('replknet_31b'));
    const groups = model.layerDecayGroups()!;
    expect(groups.numLayers).toBe(12);
    const ids = Object.fromEntries(model.namedParameters().map(([name]) => [name, groups.layerId(name)]));
    expect(ids['stem.0.conv.weight']).toBe(0);
    expect(ids['stages.0.blocks.3.pw2.bn.bias']).toBe(1);
    expect(ids['transitions.0.1.conv.weight']).toBe(1);
    expect(ids['stages.1.blocks.0.large_kernel.lkb_origin.conv.weight']).toBe(2);
    expect(ids['transitions.1.0.bn.weight']).toBe(2);
    expect(ids['stages.2.blocks.0.prelkb_bn.weight']).toBe(3);
    expect(ids['stages.2.blocks.7.pw1.conv.weight']).toBe(4);
    expect(ids['stages.2.blocks.35.pw2.conv.weight']).toBe(11);
    expect(ids['transitions.2.0.conv.weight']).toBe(11);
    expect(ids['stages.3.blocks.2.pw1.conv.weight']).toBe(12);
    expect(ids['norm.weight']).toBe(13);
    expect(ids['head.weight']).toBe(13);
  });
});

describe('timm init (RepVGG paper; timm byobnet.py)', () => {
  const stats = (data: Float32Array) => {
    const mean = data.reduce((a, b) => a + b, 0) / data.length;
    return { mean, std: Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length) };
  };

  it('RepVGG: conv N(0, 2/fan_out) with fan_out/groups, Linear N(0, .01), block BN N(0.1, .1) / N(0, .1)', () => {
    const model = createModel('repvgg_b1g2', { depths: [1, 2, 2, 1], widths: [64, 64, 64, 64], stemChs: 64, numClasses: 100 });
    const sd = stateDict(model);
    // stages.1.1 is grouped (g = 2): fan_out = 3·3·64/2.
    const grouped = stats(sd.get('stages.1.1.conv_kxk.conv.weight')!.data);
    expect(grouped.std).toBeCloseTo(Math.sqrt(2 / (9 * 32)), 2);
    const dense = stats(sd.get('stages.1.0.conv_1x1.conv.weight')!.data);
    expect(dense.std).toBeCloseTo(Math.sqrt(2 / 64), 2);
    const fc = stats(sd.get('head.fc.weight')!.data);
    expect(fc.std).toBeCloseTo(0.01, 3);
    expect(sd.get('head.fc.bias')!.data.every((v) => v === 0)).toBe(true);
    const gather = (suffix: string) =>
      Float32Array.from([...sd].filter(([k]) => k.endsWith(suffix)).flatMap(([, v]) => [...v.data]));
    const bnWeight = stats(gather('bn.weight'));
    expect(bnWeight.mean).toBeCloseTo(0.1, 1);
    expect(bnWeight.std).toBeCloseTo(0.1, 1);
    const bnBias = stats(gather('bn.bias'));
    expect(Math.abs(bnBias.mean)).toBeLessThan(0.02);
    expect(bnBias.std).toBeCloseTo(0.1, 1);
    model.dispose();
  });
});

describe('model surface', () => {
  it('forwardFeatures / forwardHead / resetClassifier', () => {
    const tiny = { channels: [8, 8, 16, 16], depths: [1, 1, 1, 1], kernels: [7, 5, 5, 3], smallKernel: 3, numClasses: 7 };
    const lk = createModel('replknet_31b', tiny).eval();
    const vgg = createModel('repvgg_a0', { depths: [1, 1, 1, 1], widths: [8, 8, 16, 24], stemChs: 8, numClasses: 7 }).eval();
    const x = randomInput([2, 64, 64, 3]);
    for (const model of [lk, vgg]) {
      const shapes = tf.tidy(() => {
        const f = model.forwardFeatures(x);
        return [f.shape, model.forward(x).shape, model.forwardHead(f, true).shape];
      });
      expect(shapes).toEqual([[2, 2, 2, model.numFeatures], [2, 7], [2, model.numFeatures]]);
      model.resetClassifier(3);
      expect(tf.tidy(() => model.forward(x).shape)).toEqual([2, 3]);
      model.dispose();
    }
    x.dispose();
  });

  it('a train-form checkpoint does not load into a deploy-form model (one-line error naming the key)', () => {
    const cfg = { depths: [1, 1, 1, 1], widths: [8, 8, 16, 24], stemChs: 8, numClasses: 7 };
    const train = createModel('repvgg_a0', cfg);
    const deploy = createModel('repvgg_a0', { ...cfg, deploy: true });
    expect(() => loadStateDict(deploy, stateDict(train), { source: 'train.safetensors' })).toThrow(
      /^train\.safetensors: missing key 'stem\.reparam_conv\.weight'/,
    );
    reparameterize(train);
    expect(() => loadStateDict(deploy, stateDict(train))).not.toThrow();
    train.dispose();
    deploy.dispose();
  });
});
