import * as tf from '@tensorflow/tfjs-core';
import { Module, normal, uniform, type ActivationFn, type Initializer, type ModelOverrides } from '@nextnets/core-layers';

/** A parameter-free activation as a module, so it can sit in a `Sequential` at the index the official code gives it. */
export class Activation extends Module {
  constructor(private readonly fn: ActivationFn) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

/**
 * timm/TF `make_divisible`: round `v` to the nearest multiple of `divisor` (at least `minValue`), going up one step
 * when that lost more than `1 − roundLimit` of `v` (`roundLimit` 0 disables the guard).
 */
export function makeDivisible(v: number, divisor = 8, minValue = divisor, roundLimit = 0.9): number {
  let rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * v) rounded += divisor;
  return rounded;
}

/** Python 3 `round(x)`: nearest integer, ties to even (timm's SE width uses it). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Conv init N(0, 2/fan_out) with fan_out = kh·kw·out/groups (timm `_init_weight_goog` with fix_group_fanout, spec §8).
 * Internal shapes are [kh, kw, in/g, out] (dense) or [kh, kw, C, multiplier] (depthwise), so in both cases
 * fan_out = shape[0]·shape[1]·shape[3].
 */
export const googConvInit: Initializer = (shape) => normal(shape, 0, Math.sqrt(2 / (shape[0] * shape[1] * shape[3])));

/** timm's EfficientNet Linear init: U(±1/√fan_out) with fan_out = number of classes (spec §8). */
export const googLinearInit: Initializer = (shape, fans) => {
  const range = 1 / Math.sqrt(fans?.fanOut ?? shape[shape.length - 1]);
  return uniform(shape, -range, range);
};

/** Checks that every override key is one the model accepts; one-line error naming the first unknown key. */
export function checkOverrideKeys(model: string, overrides: ModelOverrides, allowed: readonly string[]): void {
  for (const key of Object.keys(overrides)) {
    if (!allowed.includes(key)) {
      throw new Error(`${model}: unknown override '${key}' (accepted: ${allowed.join(', ')})`);
    }
  }
}

/** Reads a finite number override (or the default), with a one-line error naming the key. */
export function numberOverride(model: string, overrides: ModelOverrides, key: string, fallback: number): number {
  const v = overrides[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${model}: override '${key}' must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Reads a number override that must be > 0 (widths, depth multipliers, eps). */
export function positiveOverride(model: string, overrides: ModelOverrides, key: string, fallback: number): number {
  const v = numberOverride(model, overrides, key, fallback);
  if (v <= 0) throw new Error(`${model}: override '${key}' must be > 0, got ${v}`);
  return v;
}

/** Reads an integer override ≥ `min`. */
export function intOverride(model: string, overrides: ModelOverrides, key: string, fallback: number, min = 0): number {
  const v = numberOverride(model, overrides, key, fallback);
  if (!Number.isInteger(v) || v < min) throw new Error(`${model}: override '${key}' must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Reads a probability override in [0, 1). */
export function rateOverride(model: string, overrides: ModelOverrides, key: string, fallback: number): number {
  const v = numberOverride(model, overrides, key, fallback);
  if (v < 0 || v >= 1) throw new Error(`${model}: override '${key}' must be in [0, 1), got ${v}`);
  return v;
}

/** Checks an NHWC input's rank and channel count with a one-line error. */
export function checkInput(model: string, x: tf.Tensor, inChans: number): void {
  if (x.rank !== 4 || x.shape[3] !== inChans) {
    throw new Error(`${model}: expected an NHWC input [N,H,W,${inChans}], got [${x.shape.join(',')}]`);
  }
}
