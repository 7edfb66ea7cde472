import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@nextnets/core-layers';
import { generateRandomMask, numKept, upsampleMask } from '../src/index.js';
import { useWasm } from './helpers.js';

beforeAll(useWasm);

/** An Rng stand-in returning fixed noise values, to check the argsort rule exactly. */
function fixedNoise(values: number[]): { normal(): number } {
  let i = 0;
  return { normal: () => values[i++] };
}

describe('generateRandomMask (ConvNeXt V2 FCMAE; official fcmae.py)', () => {
  it('keeps int(L·(1 − ratio)) patches per sample: 19 of 49 at 224 / patch 32 / ratio 0.6', () => {
    expect(numKept(49, 0.6)).toBe(19);
    const mask = generateRandomMask(5, 7, 7, 0.6, new Rng(1));
    expect(mask.shape).toEqual([5, 7, 7, 1]);
    const removed = tf.tidy(() => Array.from(tf.sum(tf.reshape(mask, [5, 49]), 1).dataSync()));
    expect(removed).toEqual([30, 30, 30, 30, 30]);
    const values = new Set(mask.dataSync());
    expect([...values].sort()).toEqual([0, 1]);
    mask.dispose();
  });

  it('keeps exactly the len_keep patches with the smallest noise (argsort order)', () => {
    // L = 6, ratio 0.5 → keep 3: noise ranks 0,1,2 sit at indices 4, 1, 5.
    const mask = generateRandomMask(1, 2, 3, 0.5, fixedNoise([0.9, -1.2, 0.3, 2.0, -3.0, 0.1]));
    expect(Array.from(mask.dataSync())).toEqual([1, 0, 1, 1, 0, 0]);
    mask.dispose();
  });

  it('draws independent masks per sample, reproducible from the seed', () => {
    const a = generateRandomMask(4, 4, 4, 0.6, new Rng(7));
    const b = generateRandomMask(4, 4, 4, 0.6, new Rng(7));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const rows = tf.tidy(() => tf.reshape(a, [4, 16]).arraySync() as number[][]);
    expect(new Set(rows.map((r) => r.join(''))).size).toBeGreaterThan(1);
    tf.dispose([a, b]);
  });

  it('rejects bad arguments with one line', () => {
    expect(() => generateRandomMask(1, 0, 2, 0.5, new Rng(0))).toThrow(/^generateRandomMask: gridH must be a positive integer, got 0$/);
    expect(() => generateRandomMask(1, 2, 2, 1, new Rng(0))).toThrow(/maskRatio must be in \[0, 1\), got 1/);
  });
});

describe('upsampleMask (repeat_interleave along H and W)', () => {
  it('turns every cell into a factor×factor block', () => {
    const mask = tf.tensor4d([1, 0, 0, 1, 1, 0], [1, 2, 3, 1]);
    const up = upsampleMask(mask, 2);
    expect(up.shape).toEqual([1, 4, 6, 1]);
    // row-major 4×6: each source row repeated twice, each value twice along W
    expect(Array.from(up.dataSync())).toEqual([
      1, 1, 0, 0, 0, 0,
      1, 1, 0, 0, 0, 0,
      1, 1, 1, 1, 0, 0,
      1, 1, 1, 1, 0, 0,
    ]);
    tf.dispose([mask, up]);
  });

  it('matches nearest-neighbour resizing by an integer factor, leaves nothing behind, and checks its input', () => {
    const mask = generateRandomMask(2, 3, 3, 0.6, new Rng(3));
    const before = tf.memory().numTensors;
    const up = upsampleMask(mask, 8);
    expect(tf.memory().numTensors).toBe(before + 1);
    const ref = tf.image.resizeNearestNeighbor(mask, [24, 24]);
    expect(Array.from(up.dataSync())).toEqual(Array.from(ref.dataSync()));
    expect(() => upsampleMask(mask, 1.5)).toThrow(/^upsampleMask: factor must be a positive integer, got 1.5$/);
    const flat = tf.zeros([2, 9]);
    expect(() => upsampleMask(flat, 2)).toThrow(/^upsampleMask: mask must be \[N, h, w, 1\], got \[2,9\]$/);
    tf.dispose([mask, up, ref, flat]);
  });
});
