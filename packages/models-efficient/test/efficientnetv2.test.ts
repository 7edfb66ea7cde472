import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { Conv2d, getModelEntry, torchShape, withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, decodeStage, EfficientNetV2, InvertedResidual, type ConvBnAct } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

const shapeOnly = (name: string, overrides = {}): EfficientNetV2 => withShapeOnlyInit(() => createModel(name, overrides)) as EfficientNetV2;
const keyShapes = (m: EfficientNetV2): Map<string, number[]> => new Map(m.namedParameters().map(([k, p]) => [k, torchShape(p.shape, p.layout)]));
const stageBlock = <T>(m: EfficientNetV2, i: number, j: number): T => (m.blocks.at(i) as unknown as { at: (j: number) => T }).at(j);

describe('EfficientNetV2 structure (EfficientNetV2 paper; official effnetv2_model.py, timm)', () => {
  it('uses timm key names and SE widths from the block input', () => {
    const shapes = keyShapes(shapeOnly('efficientnetv2_s'));
    const expected: Record<string, number[]> = {
      'conv_stem.weight': [24, 3, 3, 3],
      'bn1.weight': [24],
      'blocks.0.1.conv.weight': [24, 24, 3, 3],
      'blocks.0.1.bn1.bias': [24],
      'blocks.1.0.conv_exp.weight': [96, 24, 3, 3],
      'blocks.1.0.conv_pwl.weight': [48, 96, 1, 1],
      'blocks.1.0.bn2.weight': [48],
      'blocks.3.0.conv_pw.weight': [256, 64, 1, 1],
      'blocks.3.0.conv_dw.weight': [256, 1, 3, 3],
      'blocks.3.0.se.conv_reduce.weight': [16, 256, 1, 1],
      'blocks.3.0.se.conv_reduce.bias': [16],
      'blocks.3.0.se.conv_expand.weight': [256, 16, 1, 1],
      'blocks.3.0.conv_pwl.weight': [128, 256, 1, 1],
      'blocks.3.0.bn3.weight': [128],
      'blocks.5.14.se.conv_reduce.weight': [64, 1536, 1, 1],
      'conv_head.weight': [1280, 256, 1, 1],
      'bn2.weight': [1280],
      'classifier.weight': [1000, 1280],
      'classifier.bias': [1000],
    };
    for (const [key, shape] of Object.entries(expected)) expect(shapes.get(key), key).toEqual(shape);
    expect([...shapes.keys()].some((k) => k.startsWith('blocks.1.0.se'))).toBe(false);
  });

  it('derives efficientnetv2_rw_t (S arch, width 0.8, depth 0.9) and the B-family widths', () => {
    const rwT = shapeOnly('efficientnetv2_rw_t');
    expect(rwT.blocks.children().map(([, s]) => (s as unknown as { length: number }).length)).toEqual([2, 4, 4, 6, 9, 14]);
    const shapes = keyShapes(rwT);
    expect(shapes.get('conv_stem.weight')).toEqual([24, 3, 3, 3]);
    expect(['blocks.1.0.conv_pwl', 'blocks.2.0.conv_pwl', 'blocks.3.0.conv_pwl', 'blocks.4.0.conv_pwl', 'blocks.5.0.conv_pwl'].map((k) => shapes.get(`${k}.weight`)![0])).toEqual([40, 48, 104, 128, 208]);
    expect(rwT.numFeatures).toBe(1024);
    const b3 = shapeOnly('tf_efficientnetv2_b3');
    expect(keyShapes(b3).get('conv_stem.weight')).toEqual([40, 3, 3, 3]);
    expect(b3.numFeatures).toBe(1536);
    expect(shapeOnly('tf_efficientnetv2_b2').numFeatures).toBe(1408);
  });

  it('pads symmetrically (PyTorch) for non-tf variants and uses eps 1e-5; tf_ ports use tf-same and 1e-3', () => {
    const s = shapeOnly('efficientnetv2_s');
    const convs = s.namedModules().filter(([, m]) => m instanceof Conv2d) as Array<[string, Conv2d]>;
    expect(convs.every(([, c]) => c.padding === (c.kernelSize[0] - 1) / 2)).toBe(true);
    expect(s.bn1.eps).toBe(1e-5);
    const tfS = shapeOnly('tf_efficientnetv2_s');
    const same = tfS.namedModules().filter(([, m]) => m instanceof Conv2d && m.padding === 'tf-same');
    expect(same.map(([n]) => n)).toEqual(['conv_stem', 'blocks.1.0.conv_exp', 'blocks.2.0.conv_exp', 'blocks.3.0.conv_dw', 'blocks.5.0.conv_dw']);
    expect(tfS.bn1.eps).toBe(1e-3);
  });

  it('schedules stochastic depth as rate · block_idx / block_count and shortcuts only where shapes allow', () => {
    const m = shapeOnly('tf_efficientnetv2_b0', { dropPathRate: 0.2 });
    const blocks = m.blocks.children().flatMap(([, s]) => (s as unknown as { children: () => Array<[string, ConvBnAct]> }).children().map(([, b]) => b));
    expect(blocks.length).toBe(21);
    blocks.forEach((b, i) => expect(b.opts.dropPathRate).toBeCloseTo((0.2 * i) / 21, 12));
    expect(blocks.map((b) => (b.hasSkip ? 1 : 0)).join('')).toBe('0' + '01' + '01' + '011' + '01111' + '01111111');
    const cnSkip = stageBlock<ConvBnAct>(shapeOnly('tf_efficientnetv2_s'), 0, 0);
    expect(cnSkip.hasSkip).toBe(true);
    expect(stageBlock<InvertedResidual>(m, 3, 0).se?.reduce.outChannels).toBe(12);
  });

  it('registers pretrained configs (mean=std=0.5 for tf S/M/L/XL, ImageNet for b0–b3, spec sizes)', () => {
    expect(getModelEntry('tf_efficientnetv2_s').pretrainedCfg).toMatchObject({ inputSize: [3, 300, 300], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(getModelEntry('tf_efficientnetv2_xl').pretrainedCfg.inputSize).toEqual([3, 384, 384]);
    expect(getModelEntry('tf_efficientnetv2_b2').pretrainedCfg).toMatchObject({ inputSize: [3, 208, 208], mean: [0.485, 0.456, 0.406] });
    expect(getModelEntry('tf_efficientnetv2_b0').family).toBe('efficientnetv2');
    expect(getModelEntry('mobilenext_100').family).toBe('mobilenext');
  });

  it('rejects unknown overrides and malformed arch strings with one-line errors', () => {
    expect(() => createModel('efficientnetv2_s', { drop_rate: 0.1 })).toThrow(/efficientnetv2_s: unknown override 'drop_rate'/);
    expect(() => decodeStage('xx_r1_k3_s1_e1_c8')).toThrow(/bad stage string 'xx_r1_k3_s1_e1_c8': block type 'xx'/);
    expect(() => decodeStage('ir_r1_k3_s1_e4_q8')).toThrow(/unknown option 'q8'/);
    expect(() => createModel('tf_efficientnetv2_b0', { padType: 'valid' })).toThrow(/padType/);
    expect(() => createModel('tf_efficientnetv2_b0', { channelMultiplier: -1 })).toThrow(/'channelMultiplier' must be > 0/);
    expect(() => createModel('tf_efficientnetv2_b0', { numClasses: 2.5 })).toThrow(/'numClasses' must be an integer/);
    expect(decodeStage('ir_r3_k5_s2_e6_c40_se0.25_noskip')).toEqual({ type: 'ir', repeats: 3, kernelSize: 5, stride: 2, expRatio: 6, outChannels: 40, seRatio: 0.25, skip: false });
  });
});

describe('EfficientNetV2 numerics', () => {
  it('initialises as timm _init_weight_goog: conv N(0, 2/fan_out) (depthwise fan_out k·k), Linear U(±1/√classes), zero biases', () => {
    const model = createModel('tf_efficientnetv2_b0', { numClasses: 100 });
    const params = new Map(model.namedParameters().map(([k, p]) => [k, p.variable]));
    const stat = (key: string, f: (t: tf.Tensor) => tf.Tensor): number => tf.tidy(() => f(params.get(key)!).dataSync()[0]);
    const std = (key: string): number => Math.sqrt(stat(key, (t) => tf.moments(t).variance));
    expect(std('blocks.5.7.conv_dw.weight') / Math.sqrt(2 / 9)).toBeCloseTo(1, 1);
    expect(std('blocks.5.7.conv_pw.weight') / Math.sqrt(2 / 1152)).toBeCloseTo(1, 1);
    expect(std('conv_head.weight') / Math.sqrt(2 / 1280)).toBeCloseTo(1, 1);
    expect(stat('classifier.weight', (t) => tf.max(tf.abs(t)))).toBeLessThanOrEqual(0.1);
    expect(stat('classifier.weight', (t) => tf.max(tf.abs(t)))).toBeGreaterThan(0.099);
    expect(stat('classifier.bias', (t) => tf.max(tf.abs(t)))).toBe(0);
    expect(stat('blocks.5.7.se.conv_reduce.bias', (t) => tf.max(tf.abs(t)))).toBe(0);
    model.dispose();
  });

  it('resetClassifier swaps the head; preLogits returns pooled features', () => {
    const model = createModel('tf_efficientnetv2_b0', {
      numClasses: 5,
      stages: ['cn_r1_k3_s1_e1_c8_skip', 'ir_r1_k3_s2_e4_c16_se0.25'],
      numFeatures: 32,
    });
    model.eval();
    model.resetClassifier(3);
    expect(model.namedParameters().find(([k]) => k === 'classifier.weight')![1].shape).toEqual([32, 3]);
    const [logits, pre] = tf.tidy(() => {
      const f = model.forwardFeatures(tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1));
      return [model.forwardHead(f).shape, model.forwardHead(f, true).shape];
    });
    expect(logits).toEqual([2, 3]);
    expect(pre).toEqual([2, 32]);
    model.resetClassifier(0);
    expect(tf.tidy(() => model.forward(tf.zeros([1, 16, 16, 3])).shape)).toEqual([1, 32]);
    model.dispose();
  });
});
