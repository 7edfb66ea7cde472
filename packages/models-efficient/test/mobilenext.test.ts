import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { torchShape, withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, MobileNeXt, SandglassBlock } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

/** timm-style key → PyTorch shape map of a (shape-only) model. */
function keyShapes(model: MobileNeXt): Map<string, number[]> {
  return new Map(model.namedParameters().map(([k, p]) => [k, torchShape(p.shape, p.layout)]));
}

describe('MobileNeXt structure (MobileNeXt; official mnext.py)', () => {
  let model: MobileNeXt;
  let blocks: SandglassBlock[];
  beforeAll(() => {
    model = withShapeOnlyInit(() => createModel('mobilenext_100')) as MobileNeXt;
    blocks = model.features.children().slice(1).map(([, m]) => m as SandglassBlock);
  });

  it('realises the spec stage table: cases, hidden widths, shortcuts', () => {
    const rows = blocks.map((b) => `${b.kind}:${b.hiddenChannels}:${b.useIdentity ? 'id' : '-'}`);
    const sg = (hid: number): string => `sandglass:${hid}:id`;
    expect(rows).toEqual([
      'first:16:-',
      'sandglass:32:-',
      'pointwise-down:32:-', sg(32), sg(32),
      'pointwise-down:48:-', sg(48), sg(48),
      'pointwise:64:-', sg(64), sg(64), sg(64),
      'pointwise-down:96:-', sg(96), sg(96), sg(96),
      'pointwise:160:-', sg(160), sg(160),
      'sandglass:208:-',
    ]);
    expect(model.numFeatures).toBe(1280);
  });

  it('uses the official key names and shapes', () => {
    const shapes = keyShapes(model);
    const expected: Record<string, number[]> = {
      'features.0.0.weight': [32, 3, 3, 3],
      'features.0.1.weight': [32],
      'features.1.conv.0.weight': [32, 1, 3, 3],
      'features.1.conv.3.weight': [16, 32, 1, 1],
      'features.1.conv.5.weight': [96, 16, 1, 1],
      'features.1.conv.8.weight': [96, 1, 3, 3],
      'features.1.conv.9.bias': [96],
      'features.2.conv.0.weight': [96, 1, 3, 3],
      'features.2.conv.3.weight': [32, 96, 1, 1],
      'features.2.conv.5.weight': [144, 32, 1, 1],
      'features.2.conv.8.weight': [144, 1, 3, 3],
      'features.3.conv.0.weight': [32, 144, 1, 1],
      'features.3.conv.2.weight': [192, 32, 1, 1],
      'features.3.conv.5.weight': [192, 1, 3, 3],
      'features.3.conv.6.weight': [192],
      'features.9.conv.0.weight': [64, 288, 1, 1],
      'features.9.conv.2.weight': [384, 64, 1, 1],
      'features.9.conv.3.weight': [384],
      'features.20.conv.5.weight': [1280, 208, 1, 1],
      'classifier.1.weight': [1000, 1280],
      'classifier.1.bias': [1000],
    };
    for (const [key, shape] of Object.entries(expected)) expect(shapes.get(key), key).toEqual(shape);
    // Case 2 has no index 4+ parameters, case 3 stops at 6, cases 1/4 at 9.
    expect([...shapes.keys()].filter((k) => k.startsWith('features.9.conv.')).map((k) => k.split('.')[3])).toEqual(['0', '1', '1', '2', '3', '3']);
    const bufferKeys = model.namedBuffers().map(([k]) => k);
    expect(bufferKeys).toContain('features.1.conv.9.running_var');
    expect(bufferKeys.every((k) => /\.(running_mean|running_var)$/.test(k))).toBe(true);
  });

  it('keeps the 1280 stage at 1280 for widths below 1 and widens it above', () => {
    const narrow = withShapeOnlyInit(() => createModel('mobilenext_050')) as MobileNeXt;
    const wide = withShapeOnlyInit(() => createModel('mobilenext_140')) as MobileNeXt;
    expect(narrow.numFeatures).toBe(1280);
    expect(wide.numFeatures).toBe(1792);
    expect(keyShapes(narrow).get('features.0.0.weight')).toEqual([16, 3, 3, 3]);
  });

  it('rejects unknown overrides and bad input with one-line errors', () => {
    expect(() => createModel('mobilenext_100', { widthMultiplier: 2 })).toThrow(/mobilenext_100: unknown override 'widthMultiplier'/);
    expect(() => createModel('mobilenext_100', { identityDiv: 0 })).toThrow(/identityDiv/);
    const tiny = createModel('mobilenext_035', { stages: [{ t: 2, c: 16, n: 1, s: 2 }], numClasses: 3 });
    expect(() => tf.tidy(() => tiny.forward(tf.zeros([1, 8, 8, 1])))).toThrow(/expected an NHWC input \[N,H,W,3\], got \[1,8,8,1\]/);
    tiny.dispose();
  });
});

describe('MobileNeXt numerics', () => {
  it('identity tensor multiplier adds the input to the first C // identityDiv channels only', () => {
    for (const identityDiv of [1, 2, 3]) {
      const block = new SandglassBlock({ inChannels: 12, outChannels: 12, stride: 1, reduction: 6, identityDiv }).eval();
      expect(block.useIdentity).toBe(true);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 5, 12], 0, 1, 'float32', 7);
        const branch = block.conv.forward(x);
        const k = Math.floor(12 / identityDiv);
        const shortcut = tf.pad(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, k]), [[0, 0], [0, 0], [0, 0], [0, 12 - k]]);
        const diff = tf.max(tf.abs(tf.sub(block.forward(x), tf.add(branch, shortcut)))).dataSync()[0];
        expect(diff, `identityDiv ${identityDiv}`).toBeLessThan(1e-6);
      });
      block.dispose();
    }
  });

  it('puts the stride on the last depthwise conv and outputs 7×7×1280 at 224', () => {
    const first = new SandglassBlock({ inChannels: 8, outChannels: 24, stride: 2, reduction: 2 });
    const dws = first.conv.children().filter(([, m]) => (m as { isDepthwise?: boolean }).isDepthwise);
    expect(dws.map(([i, m]) => [i, (m as unknown as { stride: number[] }).stride[0]])).toEqual([['0', 1], ['8', 2]]);
    first.dispose();
    const model = createModel('mobilenext_035', { numClasses: 7 });
    model.eval();
    const [features, logits] = tf.tidy(() => {
      const f = model.forwardFeatures(tf.zeros([1, 224, 224, 3]));
      return [f.shape, model.forwardHead(f).shape];
    });
    expect(features).toEqual([1, 7, 7, 1280]);
    expect(logits).toEqual([1, 7]);
    model.dispose();
  });

  it('initialises as mnext.py: conv N(0, 2/(k·k·out)), BN 1/0, Linear N(0, 0.01) with zero bias', () => {
    const model = createModel('mobilenext_100', { numClasses: 1000 });
    const params = new Map(model.namedParameters().map(([k, p]) => [k, p.variable]));
    const std = (key: string): number => tf.tidy(() => Math.sqrt(tf.moments(params.get(key)!).variance.dataSync()[0]));
    // features.18.conv.8: depthwise 3×3 over 960 channels, fan_out 9·960 (no group correction in the official init).
    expect(std('features.18.conv.8.weight') / Math.sqrt(2 / (9 * 960))).toBeCloseTo(1, 1);
    expect(std('features.18.conv.5.weight') / Math.sqrt(2 / 960)).toBeCloseTo(1, 1);
    expect(std('classifier.1.weight') / 0.01).toBeCloseTo(1, 1);
    expect(tf.tidy(() => tf.max(tf.abs(params.get('classifier.1.bias')!)).dataSync()[0])).toBe(0);
    expect(tf.tidy(() => tf.min(params.get('features.5.conv.9.weight')!).dataSync()[0])).toBe(1);
    model.dispose();
  });
});
