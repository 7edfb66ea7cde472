import * as tf from '@tensorflow/tfjs-core';

/** Anything that draws standard-normal samples (core-layers' and data-augment's `Rng` both qualify). */
export interface NormalSource {
  normal(): number;
}

/** Number of patches kept per sample: `int(L·(1 − ratio))` as FCMAE's `gen_random_mask` (ConvNeXt V2 FCMAE; official fcmae.py). */
export function numKept(numPatches: number, maskRatio: number): number {
  return Math.floor(numPatches * (1 - maskRatio));
}

/**
 * FCMAE random masking (ConvNeXt V2 FCMAE; official fcmae.py `gen_random_mask`): per sample, Gaussian noise over the L = gridH·gridW patches is
 * argsorted and the first `len_keep = floor(L·(1 − ratio))` patches in that order are kept, i.e. the len_keep patches
 * with the smallest noise. Returns [N, gridH, gridW, 1] float32 with 1 = removed, 0 = kept.
 */
export function generateRandomMask(batch: number, gridH: number, gridW: number, maskRatio: number, rng: NormalSource): tf.Tensor4D {
  for (const [name, v] of [['batch', batch], ['gridH', gridH], ['gridW', gridW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`generateRandomMask: ${name} must be a positive integer, got ${v}`);
  }
  if (!(maskRatio >= 0 && maskRatio < 1)) throw new Error(`generateRandomMask: maskRatio must be in [0, 1), got ${maskRatio}`);
  const numPatches = gridH * gridW;
  const keep = numKept(numPatches, maskRatio);
  const data = new Float32Array(batch * numPatches);
  for (let n = 0; n < batch; n++) {
    const noise = Array.from({ length: numPatches }, () => rng.normal());
    // argsort (stable, ascending) = ids_shuffle; the patch at rank r is kept iff r < len_keep.
    const order = noise.map((_, i) => i).sort((a, b) => noise[a] - noise[b] || a - b);
    for (let rank = keep; rank < numPatches; rank++) data[n * numPatches + order[rank]] = 1;
  }
  return tf.tensor4d(data, [batch, gridH, gridW, 1]);
}

/**
 * `repeat_interleave` of a [N, h, w, 1] mask by `factor` along H and W (ConvNeXt V2 FCMAE; official fcmae.py `upsample_mask`) → [N, h·f, w·f, 1]:
 * every grid cell becomes an f×f block. Done with a broadcast (no tile).
 */
export function upsampleMask(mask: tf.Tensor, factor: number): tf.Tensor4D {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upsampleMask: factor must be a positive integer, got ${factor}`);
  if (mask.rank !== 4 || mask.shape[3] !== 1) throw new Error(`upsampleMask: mask must be [N, h, w, 1], got [${mask.shape.join(',')}]`);
  const [n, h, w] = mask.shape as number[];
  if (factor === 1) return tf.clone(mask) as tf.Tensor4D;
  return tf.tidy(() => {
    const cells = tf.reshape(mask, [n, h, 1, w, 1, 1]);
    const blocks = tf.broadcastTo(cells, [n, h, factor, w, factor, 1]);
    return tf.reshape(blocks, [n, h * factor, w * factor, 1]) as tf.Tensor4D;
  });
}
