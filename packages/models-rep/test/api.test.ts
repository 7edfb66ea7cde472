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

  it('RepLKNet layer-decay ids follow get_num_layer_for_replknet (spec §6)', () => {
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
