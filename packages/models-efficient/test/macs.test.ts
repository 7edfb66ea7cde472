import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { profile } from '@nextnets/core-layers';
import { createModel } from '../src/index.js';


/** Profiles a freshly built model at 224 (Conv2d + Linear MACs, as the fixtures and spec count them). */
function gmacsAt224(name: string, numClasses: number): number {
  const model = createModel(name, { numClasses });
  try {
    return profile(model, 224).gmacs;
  } finally {
    model.dispose();
  }
}

describe('GMACs at 224', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it("efficientnetv2_rw_t has timm's 1.9119 GMACs (10 classes)", () => {
    const before = tf.memory().numTensors;
    const gmacs = gmacsAt224('efficientnetv2_rw_t', 10);
    expect(gmacs).toBeCloseTo(1.9119, 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  // MobileNeXt; official mnext.py (calc, 1000 classes): 311.3M / 588M / 208M / 103M / 75M, printed to 3–4 significant digits.
  const MOBILENEXT_MMACS: Array<[string, number, number]> = [
    ['mobilenext_100', 311.3, 0.05],
    ['mobilenext_140', 588, 0.5],
    ['mobilenext_075', 208, 0.5],
    ['mobilenext_050', 103, 0.5],
    ['mobilenext_035', 75, 0.5],
  ];
  for (const [name, mmacs, tol] of MOBILENEXT_MMACS) {
    it(`${name} ≈ ${mmacs}M (MobileNeXt; official mnext.py)`, () => {
      const gmacs = gmacsAt224(name, 1000);
      console.log(`${name} MMACs@224: ${(gmacs * 1e3).toFixed(2)}`);
      expect(Math.abs(gmacs * 1e3 - mmacs)).toBeLessThanOrEqual(tol);
    });
  }
});
