import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { quickstart } from '../examples/quickstart.js';

const fixture = join(fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url)), 'tf_efficientnetv2_b0', 'weights.safetensors');

describe('README example (examples/quickstart.ts)', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('loads the checkpoint, classifies, profiles MobileNeXt and frees everything', async () => {
    const before = tf.memory().numTensors;
    const r = await quickstart(fixture);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.registered).toHaveLength(18);
    expect(r.top1).toHaveLength(2);
    expect(r.top1.every((c) => c >= 0 && c < 10)).toBe(true);
    expect(r.mobilenextParams).toBe(3_535_416);
    expect(r.mobilenextGmacs).toBeCloseTo(0.3113, 3);
  });
});
