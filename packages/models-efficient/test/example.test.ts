import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { quickstart } from '../examples/quickstart.js';

import { smallFixturePath } from '@nextnets/test-fixtures';

// tf_efficientnetv2_b0 at channel ×0.25, depth ×0.34 with 4 classes (timm), the example's model with other overrides.
const fixture = smallFixturePath('efficientnetv2_tiny_cfg', 'weights.safetensors');

describe('README example (examples/quickstart.ts)', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('loads the checkpoint, classifies, profiles MobileNeXt and frees everything', async () => {
    const before = tf.memory().numTensors;
    const r = await quickstart(fixture, { channelMultiplier: 0.25, depthMultiplier: 0.34, numClasses: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.registered).toHaveLength(18);
    expect(r.top1).toHaveLength(2);
    expect(r.top1.every((c) => c >= 0 && c < 4)).toBe(true);
    expect(r.mobilenextParams).toBe(3_535_416);
    expect(r.mobilenextGmacs).toBeCloseTo(0.3113, 3);
  });
});
