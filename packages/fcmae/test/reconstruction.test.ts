import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng, manualSeed } from '@nextnets/core-layers';
import { patchify } from '../src/index.js';
import { writeReconstructionPng } from '../src/node.js';
import { seededNormal, tinyFcmae, useWasm } from './helpers.js';

beforeAll(useWasm);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('writeReconstructionPng', () => {
  it('writes original | masked | reconstruction as a valid PNG of the expected size', async () => {
    manualSeed(0);
    const model = tinyFcmae();
    const x = seededNormal([1, 32, 32, 3], 1);
    const { loss, pred, mask } = model.run(x, model.randomMask(1, 32, 32, new Rng(4)));
    const dir = mkdtempSync(join(tmpdir(), 'fcmae-png-'));
    const path = join(dir, 'recon.png');
    const before = tf.memory().numTensors;
    const size = await writeReconstructionPng(path, x, mask, pred, { gap: 2, scale: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(size).toEqual({ width: (3 * 32 + 2 * 2) * 2, height: 64 });
    expect([...readFileSync(path).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const meta = await sharp(path).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 200, 64, 3]);
    rmSync(dir, { recursive: true, force: true });
    tf.dispose([x, loss, pred, mask]);
    model.dispose();
  });

  it('shows the original, greys removed patches, and a perfect prediction reproduces the image', async () => {
    // image values in [0, 1] with mean 0 / std 1 normalisation, so pixels map to value·255 directly
    const img = tf.tidy(() => tf.div(tf.add(seededNormal([8, 8, 3], 2), 4), 8));
    const mask = tf.tensor2d([[1, 0], [0, 1]]);
    const patches = patchify(tf.expandDims(img, 0), 4);
    const dir = mkdtempSync(join(tmpdir(), 'fcmae-png-'));
    const path = join(dir, 'perfect.png');
    await writeReconstructionPng(path, img, mask, patches, { normPixLoss: false, mean: [0, 0, 0], std: [1, 1, 1], gap: 0, pasteVisible: false });
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([24, 8]);
    const px = (x: number, y: number, c: number) => data[(y * 24 + x) * 3 + c];
    const expected = img.arraySync() as number[][][];
    for (const [x, y] of [[0, 0], [5, 1], [2, 6], [7, 7]]) {
      for (let c = 0; c < 3; c++) {
        const v = Math.round(Math.min(1, Math.max(0, expected[y][x][c])) * 255);
        expect(px(x, y, c)).toBe(v); // original
        expect(px(16 + x, y, c)).toBe(v); // reconstruction
      }
    }
    // masked panel: top-left patch removed (grey), top-right visible
    expect([px(8 + 1, 1, 0), px(8 + 1, 1, 1), px(8 + 1, 1, 2)]).toEqual([128, 128, 128]);
    expect(px(8 + 5, 1, 0)).toBe(px(5, 1, 0));
    rmSync(dir, { recursive: true, force: true });
    tf.dispose([img, mask, patches]);
  });

  it('rejects inconsistent inputs with one line', async () => {
    const img = tf.zeros([8, 8, 3]);
    await expect(writeReconstructionPng('/tmp/never.png', img, tf.zeros([2, 2]), tf.zeros([4, 47]))).rejects.toThrow(
      /^writeReconstructionPng: img \[8,8,3\], mask \[2,2\] and pred \[4,47\] do not describe the same patch grid$/,
    );
    img.dispose();
  });
});
