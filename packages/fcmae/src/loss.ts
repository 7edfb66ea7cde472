import * as tf from '@tensorflow/tfjs-core';

/** Per-patch mean and √(var + 1e-6) over the last axis, with torch.var's unbiased variance (ConvNeXt V2 FCMAE; official fcmae.py `norm_pix_loss`). */
export function patchStatistics(target: tf.Tensor): { mean: tf.Tensor; std: tf.Tensor } {
  const d = target.shape[target.rank - 1];
  if (d < 2) throw new Error(`normalizePatches: a patch needs at least 2 values for the unbiased variance, got ${d}`);
  return tf.tidy(() => {
    const mean = tf.mean(target, -1, true);
    const variance = tf.div(tf.sum(tf.square(tf.sub(target, mean)), -1, true), d - 1);
    return { mean, std: tf.sqrt(tf.add(variance, 1e-6)) };
  });
}

/** Per-patch target normalisation (ConvNeXt V2 FCMAE; official fcmae.py `norm_pix_loss`): (t − mean)/√(var + 1e-6), unbiased variance. */
export function normalizePatches(target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, std } = patchStatistics(target);
    return tf.div(tf.sub(target, mean), std);
  });
}

/**
 * FCMAE `forward_loss` (ConvNeXt V2 FCMAE; official fcmae.py) on patchified tensors: `pred` and `target` [N, L, D], `mask` [N, L] (or any shape
 * with N·L entries; 1 = removed). With `normPixLoss` the target is normalised per patch first. Per patch the loss is
 * mean_D (pred − target)², and the result is sum(loss·mask)/sum(mask): only removed patches count.
 */
export function maskedReconstructionLoss(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor, normPixLoss: boolean): tf.Scalar {
  if (pred.rank !== 3 || target.rank !== 3 || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`maskedReconstructionLoss: pred [${pred.shape.join(',')}] and target [${target.shape.join(',')}] must both be [N, L, D]`);
  }
  const [n, l] = pred.shape;
  if (mask.size !== n * l) throw new Error(`maskedReconstructionLoss: mask [${mask.shape.join(',')}] must have N·L = ${n * l} entries`);
  return tf.tidy(() => {
    const t = normPixLoss ? normalizePatches(target) : target;
    const perPatch = tf.mean(tf.square(tf.sub(pred, t)), -1);
    const m = tf.reshape(mask, [n, l]);
    return tf.div(tf.sum(tf.mul(perPatch, m)), tf.sum(m)) as tf.Scalar;
  });
}
