import * as tf from '@tensorflow/tfjs-core';

/**
 * FCMAE `patchify` on NHWC images (ConvNeXt V2 FCMAE; official fcmae.py): [N, H, W, C] → [N, L, p·p·C] with L = (H/p)·(W/p) in row-major patch
 * order and pixels inside a patch in (p, q, c) order (row, column, channel) — the official `nchpwq → nhwpqc`.
 */
export function patchify(imgs: tf.Tensor, patchSize: number): tf.Tensor3D {
  const [n, h, w, c] = checkImages('patchify', imgs, patchSize);
  const p = patchSize;
  return tf.tidy(() => {
    const grid = tf.reshape(imgs, [n, h / p, p, w / p, p, c]);
    const patches = tf.transpose(grid, [0, 1, 3, 2, 4, 5]);
    return tf.reshape(patches, [n, (h / p) * (w / p), p * p * c]) as tf.Tensor3D;
  });
}

/** Inverse of `patchify`: [N, L, p·p·C] → [N, gridH·p, gridW·p, C]. */
export function unpatchify(patches: tf.Tensor, patchSize: number, gridH: number, gridW: number): tf.Tensor4D {
  const p = patchSize;
  const [n, l, d] = patches.shape as number[];
  if (patches.rank !== 3 || l !== gridH * gridW || d % (p * p) !== 0) {
    throw new Error(`unpatchify: patches [${patches.shape.join(',')}] do not fit a ${gridH}×${gridW} grid of ${p}×${p} patches`);
  }
  const c = d / (p * p);
  return tf.tidy(() => {
    const grid = tf.reshape(patches, [n, gridH, gridW, p, p, c]);
    return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [n, gridH * p, gridW * p, c]) as tf.Tensor4D;
  });
}

/** Validates an NHWC batch whose height and width are multiples of the patch size; returns its shape. */
export function checkImages(owner: string, imgs: tf.Tensor, patchSize: number): [number, number, number, number] {
  if (imgs.rank !== 4) throw new Error(`${owner}: images must be NHWC [N, H, W, C], got [${imgs.shape.join(',')}]`);
  const [n, h, w, c] = imgs.shape as [number, number, number, number];
  if (h % patchSize !== 0 || w % patchSize !== 0) {
    throw new Error(`${owner}: image size ${h}×${w} is not a multiple of the patch size ${patchSize}`);
  }
  return [n, h, w, c];
}
