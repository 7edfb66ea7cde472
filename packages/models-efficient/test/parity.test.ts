import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { loadStateDict, profile } from '@nextnets/core-layers';
import { readNpy, readSafetensors } from '@nextnets/core-layers/node';
import { createModel, EfficientNetV2 } from '../src/index.js';

import { extraFixturesDir } from '@nextnets/test-fixtures';

const extraDir = extraFixturesDir('models-efficient: full-size tf_efficientnetv2_b0');
const dir = join(extraDir ?? '', 'tf_efficientnetv2_b0');
// timm aa4b5850 with 10 classes: parameters and GMACs at 224 (Conv2d + Linear MACs).
const TIMM = { params: 5_871_514, gmacs224: 0.7168 };

/** max|a − b| / max|b| (the fixtures README's relative criterion). */
function relMaxDiff(actual: tf.Tensor, reference: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, reference))).dataSync()[0] / tf.max(tf.abs(reference)).dataSync()[0]);
}

describe.skipIf(!extraDir)('tf_efficientnetv2_b0 vs the full-size timm fixture (wasm)', () => {
  let model: EfficientNetV2;

  beforeAll(async () => {
    await setupBackend('wasm');
    model = createModel('tf_efficientnetv2_b0', { numClasses: 10 }) as EfficientNetV2;
    loadStateDict(model, readSafetensors(join(dir, 'weights.safetensors')).tensors, { strict: true, source: dir });
    model.eval();
  });

  it('uses tf-same padding exactly on the five stride-2 3×3 convs and BN eps 1e-3', () => {
    const same = model
      .namedModules()
      .filter(([, m]) => (m as { padding?: unknown }).padding === 'tf-same')
      .map(([n]) => n);
    expect(same).toEqual(['conv_stem', 'blocks.1.0.conv_exp', 'blocks.2.0.conv_exp', 'blocks.3.0.conv_dw', 'blocks.5.0.conv_dw']);
    expect(model.bn1.eps).toBe(1e-3);
    expect(model.numParams()).toBe(TIMM.params);
  });

  it('reproduces logits and features to 1e-4 of max |ref|', () => {
    const input = readNpy(join(dir, 'input.npy'));
    const logitsRef = readNpy(join(dir, 'logits.npy'));
    const featuresRef = readNpy(join(dir, 'features.npy'));
    const before = tf.memory().numTensors;
    const [logitsErr, featuresErr] = tf.tidy(() => {
      const x = tf.transpose(tf.tensor(input.data as Float32Array, input.shape), [0, 2, 3, 1]);
      const features = model.forwardFeatures(x);
      const logits = model.forwardHead(features);
      const featuresNchw = tf.transpose(features, [0, 3, 1, 2]);
      return [
        relMaxDiff(logits, tf.tensor(logitsRef.data as Float32Array, logitsRef.shape)),
        relMaxDiff(featuresNchw, tf.tensor(featuresRef.data as Float32Array, featuresRef.shape)),
      ];
    });
    expect(tf.memory().numTensors).toBe(before);
    console.log(`tf_efficientnetv2_b0 parity: logits ${logitsErr.toExponential(2)}, features ${featuresErr.toExponential(2)}`);
    expect(logitsErr).toBeLessThanOrEqual(1e-4);
    expect(featuresErr).toBeLessThanOrEqual(1e-4);
  });

  it('differs clearly with PyTorch padding or PyTorch BN eps (the fixture is sensitive to both)', () => {
    const input = readNpy(join(dir, 'input.npy'));
    const logitsRef = readNpy(join(dir, 'logits.npy'));
    const weights = readSafetensors(join(dir, 'weights.safetensors')).tensors;
    for (const overrides of [{ padType: 'pytorch' }, { bnEps: 1e-5 }]) {
      const wrong = createModel('tf_efficientnetv2_b0', { numClasses: 10, ...overrides });
      loadStateDict(wrong, weights);
      wrong.eval();
      const err = tf.tidy(() =>
        relMaxDiff(
          wrong.forward(tf.transpose(tf.tensor(input.data as Float32Array, input.shape), [0, 2, 3, 1])),
          tf.tensor(logitsRef.data as Float32Array, logitsRef.shape),
        ),
      );
      wrong.dispose();
      expect(err, JSON.stringify(overrides)).toBeGreaterThan(1e-3);
    }
  });

});

describe('tf_efficientnetv2_b0 size', () => {
  it("has timm's parameter count and GMACs at 224 with 10 classes", async () => {
    await setupBackend('wasm');
    const model = createModel('tf_efficientnetv2_b0', { numClasses: 10 });
    const { params, gmacs } = profile(model, 224);
    model.dispose();
    expect(params).toBe(TIMM.params);
    expect(gmacs).toBeCloseTo(TIMM.gmacs224, 3);
  });
});
