import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { quickstart } from '../examples/quickstart.js';
import { useWasm } from './helpers.js';

beforeAll(useWasm);

describe('README example (examples/quickstart.ts)', () => {
  it('pretrains, writes the PNG, exports, fine-tunes, and frees everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fcmae-example-'));
    const before = tf.memory().numTensors;
    const r = await quickstart(dir, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.pretrainLosses).toHaveLength(8);
    expect(r.finetuneLosses).toHaveLength(8);
    expect([...r.pretrainLosses, ...r.finetuneLosses].every(Number.isFinite)).toBe(true);
    expect(r.pngSize).toEqual({ width: (3 * 32 + 4) * 4, height: 128 });
    rmSync(dir, { recursive: true, force: true });
  });
});
