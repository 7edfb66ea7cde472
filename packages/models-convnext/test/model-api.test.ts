import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { stateDict, torchShape, withShapeOnlyInit, type ImageClassifier } from '@nextnets/core-layers';
import { createModel } from '../src/index.js';
import { seededNormal, useWasm } from './helpers.js';

beforeAll(useWasm);

const torchShapeOf = (model: ImageClassifier, key: string): number[] => {
  const entry = model.namedParameters().find(([n]) => n === key);
  if (!entry) throw new Error(`no parameter ${key}`);
  return torchShape(entry[1].shape, entry[1].variable.rank === 0 ? 'none' : entry[1].layout);
};

const values = (model: ImageClassifier, key: string): Float32Array =>
  model.namedParameters().find(([n]) => n === key)![1].variable.dataSync() as Float32Array;

const std = (v: Float32Array): number => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
};

describe('checkpoint layouts', () => {
  it('uses 1×1-conv MLP shapes for atto…nano and Linear shapes from tiny up (ConvNeXt paper; timm convnext.py)', () => {
    const shapes = (name: string, key: string): number[] => {
      const m = withShapeOnlyInit(() => createModel(name));
      const p = m.namedParameters().find(([n]) => n === key)![1];
      return torchShape(p.shape, p.layout);
    };
    expect(shapes('convnext_atto', 'stages.0.blocks.0.mlp.fc1.weight')).toEqual([160, 40, 1, 1]);
    expect(shapes('convnextv2_nano', 'stages.3.blocks.1.mlp.fc2.weight')).toEqual([640, 2560, 1, 1]);
    expect(shapes('convnext_tiny', 'stages.0.blocks.0.mlp.fc1.weight')).toEqual([384, 96]);
    expect(shapes('convnextv2_tiny', 'stages.2.blocks.8.mlp.grn.weight')).toEqual([1536]);
    expect(shapes('convnext_tiny', 'stages.1.downsample.1.weight')).toEqual([192, 96, 2, 2]);
    expect(shapes('convnext_tiny', 'stages.0.blocks.0.conv_dw.weight')).toEqual([96, 1, 7, 7]);
    expect(shapes('inception_next_tiny', 'stages.0.blocks.0.token_mixer.dwconv_w.weight')).toEqual([12, 1, 1, 11]);
    expect(shapes('inception_next_atto', 'stages.3.blocks.1.token_mixer.dwconv_h.weight')).toEqual([80, 1, 9, 1]);
    expect(shapes('inception_next_atto', 'stages.3.blocks.1.mlp.fc1.weight')).toEqual([960, 320, 1, 1]);
    expect(shapes('inception_next_atto', 'head.fc1.weight')).toEqual([960, 320]);
    const v2 = withShapeOnlyInit(() => createModel('convnextv2_atto')).namedParameters().map(([n]) => n);
    expect(v2.some((n) => n.endsWith('.gamma'))).toBe(false);
    expect(v2.filter((n) => n.startsWith('stages.0.downsample'))).toEqual([]);
  });
});

describe('timm init (ConvNeXt paper; timm convnext.py / ConvNeXt V2 paper; official convnextv2.py / InceptionNeXt paper; timm inception_next.py)', () => {
  it('ConvNeXt: trunc_normal(.02) weights, zero biases, LN 1/0, gamma = lsInitValue, head × headInitScale', () => {
    const m = createModel('convnext_atto', { numClasses: 1000, headInitScale: 0.001, lsInitValue: 0.25 });
    expect(std(values(m, 'stages.2.blocks.0.mlp.fc1.weight'))).toBeCloseTo(0.02, 3);
    expect(std(values(m, 'stem.0.weight'))).toBeGreaterThan(0.015);
    expect(Math.max(...values(m, 'stages.2.blocks.0.mlp.fc1.bias').map(Math.abs))).toBe(0);
    expect([...values(m, 'stages.1.blocks.1.gamma')].every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
    expect([...values(m, 'stages.1.downsample.0.weight')].every((v) => v === 1)).toBe(true);
    expect(std(values(m, 'head.fc.weight'))).toBeCloseTo(2e-5, 6);
    expect([...values(m, 'head.fc.bias')].every((v) => v === 0)).toBe(true);
    m.dispose();
  });

  it('ConvNeXt-V2 GRN starts at zero; default V1 gamma is 1e-6; InceptionNeXt BN is 1/0', () => {
    const v2 = createModel('convnextv2_atto', { numClasses: 10, dims: [8, 16, 24, 32] });
    expect([...values(v2, 'stages.0.blocks.0.mlp.grn.weight'), ...values(v2, 'stages.0.blocks.0.mlp.grn.bias')].every((v) => v === 0)).toBe(true);
    v2.dispose();
    const v1 = createModel('convnext_atto', { numClasses: 10, dims: [8, 16, 24, 32] });
    expect([...values(v1, 'stages.3.blocks.0.gamma')].every((v) => Math.abs(v - 1e-6) < 1e-12)).toBe(true);
    v1.dispose();
    const inx = createModel('inception_next_atto', { numClasses: 10, dims: [16, 32, 48, 64] });
    expect([...values(inx, 'stages.1.blocks.0.norm.weight')].every((v) => v === 1)).toBe(true);
    expect(inx.namedBuffers().map(([n]) => n)).toContain('stages.1.downsample.0.running_var');
    inx.dispose();
  });
});

describe('forwardFeatures / forwardHead / resetClassifier', () => {
  it.each([
    ['convnext_atto', 320, 320],
    ['convnextv2_atto', 320, 320],
    ['inception_next_atto', 320, 960],
  ])('%s: shapes, preLogits, reset to 5 and to 0 classes', (name, features, preLogits) => {
    const m = createModel(name, { numClasses: 10 }).eval();
    const x = seededNormal([2, 64, 64, 3], 1);
    tf.tidy(() => {
      const f = m.forwardFeatures(x);
      expect(f.shape).toEqual([2, 2, 2, features]);
      expect(m.forwardHead(f).shape).toEqual([2, 10]);
      expect(m.forwardHead(f, true).shape).toEqual([2, preLogits]);
    });
    m.resetClassifier(5);
    expect(m.numClasses).toBe(5);
    tf.tidy(() => {
      expect(m.forward(x).shape).toEqual([2, 5]);
    });
    const fcKey = name.startsWith('inception') ? 'head.fc2.weight' : 'head.fc.weight';
    expect(stateDict(m).get(fcKey)!.shape).toEqual([5, preLogits]);
    const before = tf.memory().numTensors;
    m.resetClassifier(0);
    expect(tf.memory().numTensors).toBeLessThan(before);
    tf.tidy(() => {
      expect(m.forward(x).shape).toEqual([2, preLogits]);
    });
    expect(stateDict(m).has(fcKey)).toBe(false);
    x.dispose();
    m.dispose();
  });

  it('resetClassifier uses headInitScale for the fresh ConvNeXt head', () => {
    const m = createModel('convnextv2_atto', { numClasses: 10, headInitScale: 0.001, dims: [8, 16, 24, 32] });
    m.resetClassifier(500);
    expect(std(values(m, 'head.fc.weight'))).toBeCloseTo(2e-5, 6);
    m.dispose();
  });

  it('patchSize follows timm: 2 adds a stage-0 downsample, 1 keeps the stem resolution', () => {
    const p2 = createModel('convnext_atto', { numClasses: 10, patchSize: 2 });
    expect(torchShapeOf(p2, 'stages.0.downsample.1.weight')).toEqual([40, 40, 2, 2]);
    const p1 = createModel('convnext_atto', { numClasses: 10, patchSize: 1, dims: [8, 16, 24, 32] });
    const x = tf.zeros([1, 32, 32, 3]);
    tf.tidy(() => {
      expect(p2.forwardFeatures(x).shape).toEqual([1, 1, 1, 320]);
      expect(p1.forwardFeatures(x).shape).toEqual([1, 4, 4, 32]);
    });
    x.dispose();
    p1.dispose();
    p2.dispose();
  });

  it('drop path is random in train mode and off in eval mode', () => {
    const m = createModel('convnext_atto', { numClasses: 10, dims: [8, 16, 24, 32], dropPathRate: 0.9, lsInitValue: 1 });
    const x = seededNormal([4, 32, 32, 3], 2);
    const differ = (train: boolean): boolean =>
      tf.tidy(() => {
        m.train(train);
        return tf.max(tf.abs(tf.sub(m.forward(x), m.forward(x)))).dataSync()[0] > 0;
      });
    expect(differ(true)).toBe(true);
    expect(differ(false)).toBe(false);
    x.dispose();
    m.dispose();
  });
});

describe('optimizer facts', () => {
  it('no weight decay for 1-D params, biases, gamma and GRN; decay for conv/linear weights', () => {
    const m = createModel('convnextv2_atto', { numClasses: 10, dims: [8, 16, 24, 32], lsInitValue: 1e-6 });
    for (const key of ['stages.0.blocks.0.mlp.grn.weight', 'stages.0.blocks.0.mlp.grn.bias', 'stages.0.blocks.0.gamma', 'stem.0.bias', 'head.norm.weight', 'stages.1.downsample.0.weight']) {
      expect(m.noWeightDecay(key), key).toBe(true);
    }
    for (const key of ['stem.0.weight', 'stages.0.blocks.0.mlp.fc1.weight', 'stages.0.blocks.0.conv_dw.weight', 'head.fc.weight']) {
      expect(m.noWeightDecay(key), key).toBe(false);
    }
    m.dispose();
  });

  it("layer decay 'group' = the 12-group ConvNeXt-V1 scheme (ConvNeXt's official recipe, main.py/optim_factory.py)", () => {
    const m = withShapeOnlyInit(() => createModel('convnext_base'));
    const { numLayers, layerId } = m.layerDecayGroups('group')!;
    expect(numLayers).toBe(12);
    const ids: Record<string, number> = {
      'stem.0.weight': 0,
      'stem.1.bias': 0,
      'stages.0.blocks.2.conv_dw.weight': 1,
      'stages.1.downsample.1.weight': 2,
      'stages.1.blocks.0.gamma': 2,
      'stages.2.downsample.0.weight': 3,
      'stages.2.blocks.2.mlp.fc1.weight': 3,
      'stages.2.blocks.3.mlp.fc1.weight': 4,
      'stages.2.blocks.26.norm.bias': 11,
      'stages.3.downsample.1.bias': 12,
      'stages.3.blocks.2.gamma': 12,
      'head.norm.weight': 13,
      'head.fc.weight': 13,
    };
    for (const [key, id] of Object.entries(ids)) expect(layerId(key), key).toBe(id);
  });

  it("layer decay 'single' = one id per block (ConvNeXt V2 FCMAE; official fcmae.py), for every parameter in range", () => {
    const m = withShapeOnlyInit(() => createModel('convnextv2_atto'));
    const { numLayers, layerId } = m.layerDecayGroups('single')!;
    expect(numLayers).toBe(12);
    const ids: Record<string, number> = {
      'stem.0.weight': 1,
      'stages.0.blocks.0.conv_dw.weight': 1,
      'stages.0.blocks.1.mlp.grn.weight': 2,
      'stages.1.downsample.1.weight': 3,
      'stages.1.blocks.0.norm.weight': 3,
      'stages.1.blocks.1.norm.weight': 4,
      'stages.2.blocks.5.mlp.fc2.bias': 10,
      'stages.3.downsample.0.weight': 11,
      'stages.3.blocks.1.mlp.fc1.weight': 12,
      'head.fc.bias': 13,
    };
    for (const [key, id] of Object.entries(ids)) expect(layerId(key), key).toBe(id);
    for (const [key] of m.namedParameters()) expect(layerId(key)).toBeGreaterThanOrEqual(1);
    expect(() => m.layerDecayGroups('blocks' as 'single')).toThrow(/unknown layer decay scheme 'blocks'/);
  });
});
