import * as tf from '@tensorflow/tfjs-core';
import type { Grads } from './types';

/**
 * torch.nn.utils.clip_grad_norm_ (L2): total = ‖(‖g_1‖, …, ‖g_n‖)‖, coef = min(1, maxNorm / (total + 1e-6)),
 * every gradient is multiplied by coef. Like torch it works in place: the entries of `grads` are replaced by
 * the clipped tensors and the old ones are disposed (only when clipping actually happens).
 * Returns the total norm before clipping.
 */
export function clipGradNorm(grads: Grads, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const names = Object.keys(grads);
  if (names.length === 0) return 0;
  const [totalNorm, coef] = tf.tidy(() => {
    const total = tf.norm(tf.stack(names.map((name) => tf.norm(grads[name]))));
    const clipCoef = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
    return [total, clipCoef];
  });
  const [totalValue] = totalNorm.dataSync();
  const [coefValue] = coef.dataSync();
  if (coefValue < 1) {
    for (const name of names) {
      const clipped = tf.mul(grads[name], coef);
      grads[name].dispose();
      grads[name] = clipped;
    }
  }
  totalNorm.dispose();
  coef.dispose();
  return totalValue;
}
