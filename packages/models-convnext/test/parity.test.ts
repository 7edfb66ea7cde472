import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { profile } from '@nextnets/core-layers';
import { loadSafetensors, saveSafetensors } from '@nextnets/core-layers/node';
import { createModel } from '../src/index.js';
import { extraDir, fixturePath, loadNpy, relErr, useWasm } from './helpers.js';

beforeAll(useWasm);

const FIXTURES = ['convnext_atto', 'convnextv2_atto', 'inception_next_atto'] as const;

// GMACs at 224 with 10 classes, as timm's profiler reports them (fixture generator, timm aa4b5850).
const GMACS_224: Record<(typeof FIXTURES)[number], number> = { convnext_atto: 0.547, convnextv2_atto: 0.547, inception_next_atto: 0.5021 };

describe.skipIf(!extraDir).each(FIXTURES)('%s matches timm (full size)', (name) => {
  it('reproduces logits.npy and features.npy (rel. max error ≤ 1e-4)', () => {
    const model = createModel(name, { numClasses: 10 });
    loadSafetensors(model, fixturePath(name, 'weights.safetensors'), { strict: true });
    model.eval();
    const before = tf.memory().numTensors;
    const [logitsErr, featuresErr, headErr] = tf.tidy(() => {
      const input = tf.transpose(loadNpy(name, 'input.npy'), [0, 2, 3, 1]);
      const features = model.forwardFeatures(input);
      const logits = model.forwardHead(features);
      const refFeatures = tf.transpose(loadNpy(name, 'features.npy'), [0, 2, 3, 1]);
      return [relErr(logits, loadNpy(name, 'logits.npy')), relErr(features, refFeatures), relErr(model.forward(input), logits)];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(logitsErr).toBeLessThanOrEqual(1e-4);
    expect(featuresErr).toBeLessThanOrEqual(1e-4);
    expect(headErr).toBe(0);
    model.dispose();
  });

});

describe.each(FIXTURES)('%s', (name) => {
  it("has timm's GMACs at 224 (3 significant digits)", () => {
    const model = createModel(name, { numClasses: 10 });
    const { gmacs } = profile(model, 224);
    expect(Number(gmacs.toPrecision(3))).toBe(Number(GMACS_224[name].toPrecision(3)));
    model.dispose();
  });
});

describe('checkpoint round trip (README example)', () => {
  it('saves a timm-layout safetensors file and loads it into a fresh model with identical predictions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-convnext-'));
    const path = join(dir, 'model.safetensors');
    try {
      const source = createModel('convnextv2_atto', { numClasses: 7, dims: [8, 16, 24, 32] }).eval();
      saveSafetensors(source, path);
      const restored = createModel('convnextv2_atto', { numClasses: 7, dims: [8, 16, 24, 32] }).eval();
      loadSafetensors(restored, path, { strict: true });
      const x = tf.randomNormal([2, 64, 64, 3]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(source.forward(x), restored.forward(x)))).dataSync()[0]);
      expect(diff).toBe(0);
      const wrong = createModel('convnextv2_atto', { numClasses: 5, dims: [8, 16, 24, 32] });
      expect(() => loadSafetensors(wrong, path)).toThrow(/key 'head\.fc\.weight' has shape \[7,32\] in checkpoint but \[5,32\] in model/);
      tf.dispose(x);
      [source, restored, wrong].forEach((m) => m.dispose());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
