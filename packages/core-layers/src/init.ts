import * as tf from '@tensorflow/tfjs-core';
import { defaultRng, type Rng } from './random.js';
import type { Fans, Initializer } from './module.js';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * timm's `trunc_normal_(std, a, b)`: N(0, std²) resampled until it falls in [a, b]. The bounds are absolute
 * (timm's shared layers), so with std .02 and ±2 this is effectively an untruncated normal.
 */
export function truncNormal(shape: number[], std = 0.02, a = -2, b = 2, rng: Rng = defaultRng()): tf.Tensor {
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    let v = rng.normal() * std;
    while (v < a || v > b) v = rng.normal() * std;
    data[i] = v;
  }
  return tf.tensor(data, shape);
}

/** N(mean, std²) samples. */
export function normal(shape: number[], mean = 0, std = 1, rng: Rng = defaultRng()): tf.Tensor {
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + rng.normal() * std;
  return tf.tensor(data, shape);
}

/** U(low, high) samples. */
export function uniform(shape: number[], low: number, high: number, rng: Rng = defaultRng()): tf.Tensor {
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + rng.uniform() * (high - low);
  return tf.tensor(data, shape);
}

/** Zeros (biases, GRN, BN shift). */
export const zerosInit: Initializer = (shape) => tf.zeros(shape);

/** Ones (norm weights, BN running_var). */
export const onesInit: Initializer = (shape) => tf.ones(shape);

/** A constant (e.g. layer-scale gamma = ls_init_value). */
export const constantInit =
  (value: number): Initializer =>
  (shape) =>
    tf.fill(shape, value);

/** timm's trunc_normal_(std) as an Initializer. */
export const truncNormalInit =
  (std = 0.02, a = -2, b = 2): Initializer =>
  (shape) =>
    truncNormal(shape, std, a, b);

/** N(mean, std²) as an Initializer. */
export const normalInit =
  (mean: number, std: number): Initializer =>
  (shape) =>
    normal(shape, mean, std);

/** PyTorch's default Conv/Linear init (kaiming_uniform with a=√5 ⇒ U(±1/√fan_in)); also used for their biases. */
export const torchDefaultInit: Initializer = (shape: number[], fans?: Fans): tf.Tensor => {
  const fanIn = fans?.fanIn ?? 0;
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(shape, -bound, bound);
};

/** N(0, 2/fan_out) — the EfficientNet/RepVGG-style (kaiming normal, fan_out) conv init. */
export const kaimingNormalFanOutInit: Initializer = (shape: number[], fans?: Fans): tf.Tensor =>
  normal(shape, 0, Math.sqrt(2 / (fans?.fanOut ?? 1)));
