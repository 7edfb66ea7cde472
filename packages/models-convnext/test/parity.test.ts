import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, profile } from '@nextnets/core-layers';
import { createModel } from '../src/index.js';
import { fixturePath, loadFixtureTensors, loadNpy, relErr, useWasm } from './helpers.js';

beforeAll(useWasm);

const FIXTURES = ['convnext_atto', 'convnextv2_atto', 'inception_next_atto'] as const;

describe.each(FIXTURES)('%s matches timm', (name) => {
  it('reproduces logits.npy and features.npy (rel. max error ≤ 1e-4)', () => {
    const model = createModel(name, { numClasses: 10 });
    loadStateDict(model, loadFixtureTensors(name), { strict: true, source: fixturePath(name, 'weights.safetensors') });
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

  it('has the manifest GMACs at 224 (3 significant digits)', () => {
    const manifest = JSON.parse(readFileSync(fixturePath(name, 'manifest.json'), 'utf8')) as { gmacs_224: number };
    const model = createModel(name, { numClasses: 10 });
    const { gmacs } = profile(model, 224);
    expect(Number(gmacs.toPrecision(3))).toBe(Number(manifest.gmacs_224.toPrecision(3)));
    model.dispose();
  });
});
