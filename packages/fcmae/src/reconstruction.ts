import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD } from '@nextnets/core-layers';
import { patchStatistics } from './loss.js';
import { patchify, unpatchify } from './patchify.js';

export interface ReconstructionPngOptions {
  /** Whether `pred` is in normalised-patch space (FCMAE `normPixLoss`, default true): it is then mapped back with each
   * original patch's mean and unbiased variance, as the MAE visualisations do. */
  normPixLoss?: boolean;
  /** Normalisation of `img` (ImageNet by default), undone for display. */
  mean?: readonly number[];
  std?: readonly number[];
  /** Show the original pixels in visible patches of the reconstruction panel (default true; visible patches are not trained). */
  pasteVisible?: boolean;
  /** White pixels between panels (default 2). */
  gap?: number;
  /** Integer nearest-neighbour upscaling of the whole sheet (default 1). */
  scale?: number;
}

/** Drops a leading batch dimension of 1. */
function single(t: tf.Tensor, rank: number, what: string): tf.Tensor {
  if (t.rank === rank + 1 && t.shape[0] === 1) return tf.squeeze(t, [0]);
  if (t.rank !== rank) throw new Error(`writeReconstructionPng: ${what} must have rank ${rank} (or ${rank + 1} with batch 1), got [${t.shape.join(',')}]`);
  return t;
}

/**
 * Writes one sample as a PNG with three panels side by side: original | masked (removed patches grey) |
 * reconstruction. `img` [H, W, C] (normalised, C = 1 or 3), `mask` with L = (H/p)(W/p) entries (1 = removed, e.g.
 * [h, w], [1, h, w, 1]), `pred` [L, p²·C] (a leading batch of 1 is accepted everywhere). Resolves to the PNG size:
 * width (3W + 2·gap)·scale, height H·scale.
 */
export async function writeReconstructionPng(
  path: string,
  img: tf.Tensor,
  mask: tf.Tensor,
  pred: tf.Tensor,
  opts: ReconstructionPngOptions = {},
): Promise<{ width: number; height: number }> {
  const gap = opts.gap ?? 2;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`writeReconstructionPng: gap must be an integer >= 0, got ${gap}`);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`writeReconstructionPng: scale must be a positive integer, got ${scale}`);
  const mean = opts.mean ?? IMAGENET_DEFAULT_MEAN;
  const std = opts.std ?? IMAGENET_DEFAULT_STD;
  const panels = tf.tidy(() => {
    const image = single(img, 3, 'img');
    const patches = single(pred, 2, 'pred');
    const [h, w, c] = image.shape as number[];
    const [l, d] = patches.shape as number[];
    const p = Math.round(Math.sqrt(d / c));
    if (p * p * c !== d || h % p !== 0 || w % p !== 0 || (h / p) * (w / p) !== l || mask.size !== l) {
      throw new Error(
        `writeReconstructionPng: img [${image.shape.join(',')}], mask [${mask.shape.join(',')}] and pred [${patches.shape.join(',')}] do not describe the same patch grid`,
      );
    }
    if (mean.length !== c || std.length !== c) throw new Error(`writeReconstructionPng: mean/std need ${c} values`);
    const [gh, gw] = [h / p, w / p];
    const batch = tf.expandDims(image, 0);
    const target = patchify(batch, p);
    let recon: tf.Tensor = tf.expandDims(patches, 0);
    if (opts.normPixLoss ?? true) {
      // invert (t − mean)/√(var + 1e-6) with the original patch's statistics
      const stats = patchStatistics(target);
      recon = tf.add(tf.mul(recon, stats.std), stats.mean);
    }
    const removed = tf.reshape(mask, [1, l, 1]);
    if (opts.pasteVisible ?? true) recon = tf.add(tf.mul(recon, removed), tf.mul(target, tf.sub(1, removed)));
    const reconImg = unpatchify(recon, p, gh, gw);
    const pixelMask = unpatchify(tf.mul(tf.onesLike(target), removed), p, gh, gw);
    const toUnit = (t: tf.Tensor) => tf.add(tf.mul(t, tf.tensor1d([...std])), tf.tensor1d([...mean]));
    const original = toUnit(batch);
    const masked = tf.add(tf.mul(original, tf.sub(1, pixelMask)), tf.mul(pixelMask, 0.5));
    const sheetParts: tf.Tensor[] = [];
    const white = tf.ones([1, h, gap, c]);
    [original, masked, toUnit(reconImg)].forEach((panel, i) => {
      if (i > 0 && gap > 0) sheetParts.push(white);
      sheetParts.push(panel);
    });
    let sheet = tf.concat(sheetParts, 2);
    if (c === 1) sheet = tf.concat([sheet, sheet, sheet], 3);
    return tf.cast(tf.round(tf.mul(tf.clipByValue(sheet, 0, 1), 255)), 'int32');
  });
  const [, height, width] = panels.shape as number[];
  const data = Uint8Array.from(panels.dataSync());
  panels.dispose();
  await sharp(Buffer.from(data.buffer), { raw: { width, height, channels: 3 } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toFile(path);
  return { width: width * scale, height: height * scale };
}
