import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maskedReconstructionLoss, normalizePatches, patchify, unpatchify } from '../src/index.js';
import { seededNormal, useWasm } from './helpers.js';

beforeAll(useWasm);

describe('patchify (pixel order p, q, c)', () => {
  it('orders patches row-major and pixels as (row, column, channel) inside a patch', () => {
    // 1 image, 4×4, 2 channels, value = 100·h + 10·w + c
    const values: number[] = [];
    for (let h = 0; h < 4; h++) for (let w = 0; w < 4; w++) for (let c = 0; c < 2; c++) values.push(100 * h + 10 * w + c);
    const img = tf.tensor4d(values, [1, 4, 4, 2]);
    const patches = patchify(img, 2);
    expect(patches.shape).toEqual([1, 4, 8]);
    const rows = patches.arraySync()[0];
    expect(rows[0]).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(rows[1]).toEqual([20, 21, 30, 31, 120, 121, 130, 131]);
    expect(rows[2]).toEqual([200, 201, 210, 211, 300, 301, 310, 311]);
    const back = unpatchify(patches, 2, 2, 2);
    expect(Array.from(back.dataSync())).toEqual(values);
    expect(() => patchify(tf.zeros([1, 5, 4, 2]), 2)).toThrow(/^patchify: image size 5×4 is not a multiple of the patch size 2$/);
    tf.dispose([img, patches, back]);
  });
});

describe('maskedReconstructionLoss (ConvNeXt V2 FCMAE; official fcmae.py forward_loss), checked by hand', () => {
  const target = [
    [1, 2, 3, 4],
    [0, 0, 0, 0],
    [2, 2, 2, 2],
  ];
  const pred = [
    [1, 2, 3, 5],
    [1, 1, 1, 1],
    [0, 0, 0, 0],
  ];

  it('without norm_pix_loss: mean over the patch, averaged over removed patches only', () => {
    // per patch: (0+0+0+1)/4 = 0.25, 4/4 = 1, 16/4 = 4; mask [0,1,1] → (1 + 4)/2 = 2.5
    const loss = maskedReconstructionLoss(tf.tensor3d([pred]), tf.tensor3d([target]), tf.tensor2d([[0, 1, 1]]), false);
    expect(loss.dataSync()[0]).toBeCloseTo(2.5, 6);
    // mask [1,0,0] → 0.25
    const loss2 = maskedReconstructionLoss(tf.tensor3d([pred]), tf.tensor3d([target]), tf.tensor2d([[1, 0, 0]]), false);
    expect(loss2.dataSync()[0]).toBeCloseTo(0.25, 6);
  });

  it('with norm_pix_loss: per-patch (t − mean)/√(var + 1e-6) with the UNBIASED variance', () => {
    // patch 0: mean 2.5, unbiased var = (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3; constant patches normalise to 0.
    const sd = Math.sqrt(5 / 3 + 1e-6);
    const n0 = [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd];
    const l0 = pred[0].reduce((s, p, i) => s + (p - n0[i]) ** 2, 0) / 4;
    const l1 = 1; // pred 1s vs normalised zeros
    const expected = (l0 + l1) / 2; // mask [1,1,0]
    const loss = maskedReconstructionLoss(tf.tensor3d([pred]), tf.tensor3d([target]), tf.tensor2d([[1, 1, 0]]), true);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    // the biased variance (1.25) would give a clearly different value
    const sdBiased = Math.sqrt(1.25 + 1e-6);
    const biased = (pred[0].reduce((s, p, i) => s + (p - (i - 1.5) / sdBiased) ** 2, 0) / 4 + 1) / 2;
    expect(Math.abs(biased - expected)).toBeGreaterThan(0.05);
    const normed = normalizePatches(tf.tensor2d([target[0]]));
    Array.from(normed.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(n0[i], 5));
  });

  it('equals an explicit per-sample computation on random data with a batch of 2', () => {
    const p = seededNormal([2, 5, 12], 1);
    const t = seededNormal([2, 5, 12], 2);
    const m = tf.tensor2d([[1, 0, 1, 0, 0], [0, 1, 1, 1, 0]]);
    const ours = maskedReconstructionLoss(p, t, m, true).dataSync()[0];
    const pa = p.arraySync() as number[][][];
    const ta = t.arraySync() as number[][][];
    const ma = m.arraySync();
    let num = 0;
    let den = 0;
    for (let n = 0; n < 2; n++) {
      for (let l = 0; l < 5; l++) {
        const row = ta[n][l];
        const mean = row.reduce((a, b) => a + b, 0) / row.length;
        const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / (row.length - 1);
        const per = row.reduce((a, b, i) => a + (pa[n][l][i] - (b - mean) / Math.sqrt(v + 1e-6)) ** 2, 0) / row.length;
        num += per * ma[n][l];
        den += ma[n][l];
      }
    }
    expect(ours).toBeCloseTo(num / den, 4);
    tf.dispose([p, t, m]);
  });

  it('rejects mismatched shapes with one line', () => {
    expect(() => maskedReconstructionLoss(tf.zeros([1, 3, 4]), tf.zeros([1, 3, 5]), tf.zeros([1, 3]), true)).toThrow(
      /^maskedReconstructionLoss: pred \[1,3,4\] and target \[1,3,5\] must both be \[N, L, D\]$/,
    );
    expect(() => maskedReconstructionLoss(tf.zeros([1, 3, 4]), tf.zeros([1, 3, 4]), tf.zeros([1, 4]), true)).toThrow(/mask \[1,4\] must have N·L = 3 entries/);
  });
});
