/**
 * timm RandAugment (`timm/data/auto_augment.py`): `num_layers` ops drawn with replacement from the op set, each applied
 * with probability `prob` (0.5) at magnitude m (optionally perturbed: N(m, mstd), or U(0, m) when mstd > 100), clipped
 * to [0, magnitudeMax] and mapped to an op argument by timm's level functions (_LEVEL_DENOM = 10).
 */
import { toUint8, type Image, type Uint8Image } from '../image';
import type { Rng } from '../random';
import { rotate, shearX, shearY, translateX, translateY, type GeometricInterpolation } from './geometric';
import * as px from './pixelOps';
import type { Transform, TransformSpec } from './types';

const LEVEL_DENOM = 10;
/** timm `_FILL`. */
export const DEFAULT_FILL = [128, 128, 128];

export type RandAugmentOpName =
  | 'AutoContrast'
  | 'Equalize'
  | 'Invert'
  | 'Rotate'
  | 'Posterize'
  | 'PosterizeIncreasing'
  | 'Solarize'
  | 'SolarizeIncreasing'
  | 'SolarizeAdd'
  | 'Color'
  | 'ColorIncreasing'
  | 'Contrast'
  | 'ContrastIncreasing'
  | 'Brightness'
  | 'BrightnessIncreasing'
  | 'Sharpness'
  | 'SharpnessIncreasing'
  | 'ShearX'
  | 'ShearY'
  | 'TranslateXRel'
  | 'TranslateYRel';

/** timm `_RAND_TRANSFORMS`. */
export const RAND_TRANSFORMS: readonly RandAugmentOpName[] = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize', 'SolarizeAdd', 'Color', 'Contrast',
  'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
];

/** timm `_RAND_INCREASING_TRANSFORMS` (selected by `inc1`). */
export const RAND_INCREASING_TRANSFORMS: readonly RandAugmentOpName[] = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing', 'SolarizeAdd',
  'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
  'TranslateXRel', 'TranslateYRel',
];

export interface RandAugmentOptions {
  numLayers?: number;
  magnitude: number;
  /** Std of the per-op magnitude noise; Infinity (config `mstd` > 100) means uniform in [0, magnitude]. */
  magnitudeStd?: number;
  magnitudeMax?: number;
  increasing?: boolean;
  /** Probability that a chosen op is applied (timm default 0.5). */
  prob?: number;
  /** Fill colour for pixels uncovered by geometric ops. */
  fill?: number[];
  /** Max relative translation (timm `translate_pct`, 0.45). */
  translatePct?: number;
  interpolation?: GeometricInterpolation;
  /** Explicit op list (overrides `increasing`). */
  ops?: RandAugmentOpName[];
}

/** Parses a timm config string like `rand-m9-mstd0.5-inc1` or `rand-m5-inc1-mstd101` (keys n, m, mstd, mmax, inc, p). */
export function parseRandAugmentConfig(config: string): RandAugmentOptions {
  const [head, ...parts] = config.split('-');
  if (head !== 'rand') throw new Error(`RandAugment config "${config}" must start with "rand"`);
  const options: RandAugmentOptions = { magnitude: 10, numLayers: 2, magnitudeStd: 0, increasing: false };
  for (const part of parts) {
    const match = /^([a-z]+)(-?[\d.]+|inf)$/.exec(part);
    if (!match) throw new Error(`RandAugment config "${config}": cannot parse section "${part}"`);
    const [, key, raw] = match;
    const value = raw === 'inf' ? Infinity : Number(raw);
    if (Number.isNaN(value)) throw new Error(`RandAugment config "${config}": bad number in "${part}"`);
    switch (key) {
      case 'm':
        options.magnitude = value;
        break;
      case 'n':
        options.numLayers = value;
        break;
      case 'mstd':
        options.magnitudeStd = value > 100 ? Infinity : value;
        break;
      case 'mmax':
        options.magnitudeMax = value;
        break;
      case 'inc':
        options.increasing = value !== 0;
        break;
      case 'p':
        options.prob = value;
        break;
      default:
        throw new Error(`RandAugment config "${config}": unknown key "${key}"`);
    }
  }
  return options;
}

function randomlyNegate(value: number, rng: Rng): number {
  return rng.random() > 0.5 ? -value : value;
}

interface OpContext {
  fill: number[];
  translatePct: number;
  interpolation: GeometricInterpolation;
}

/** Level (0..10) → op application, with timm's `*_level_to_arg` mappings. */
function applyOp(name: RandAugmentOpName, image: Uint8Image, level: number, rng: Rng, ctx: OpContext): Uint8Image {
  const frac = level / LEVEL_DENOM;
  const enhance = () => frac * 1.8 + 0.1;
  const enhanceIncreasing = () => Math.max(0.1, 1 + randomlyNegate(frac * 0.9, rng));
  switch (name) {
    case 'AutoContrast':
      return px.autoContrast(image);
    case 'Equalize':
      return px.equalize(image);
    case 'Invert':
      return px.invert(image);
    case 'Rotate':
      return rotate(image, randomlyNegate(frac * 30, rng), ctx.fill, ctx.interpolation);
    case 'Posterize':
      return px.posterize(image, Math.trunc(frac * 4));
    case 'PosterizeIncreasing':
      return px.posterize(image, 4 - Math.trunc(frac * 4));
    case 'Solarize':
      return px.solarize(image, Math.min(256, Math.trunc(frac * 256)));
    case 'SolarizeIncreasing':
      return px.solarize(image, 256 - Math.min(256, Math.trunc(frac * 256)));
    case 'SolarizeAdd':
      return px.solarizeAdd(image, Math.min(128, Math.trunc(frac * 110)));
    case 'Color':
      return px.color(image, enhance());
    case 'ColorIncreasing':
      return px.color(image, enhanceIncreasing());
    case 'Contrast':
      return px.contrast(image, enhance());
    case 'ContrastIncreasing':
      return px.contrast(image, enhanceIncreasing());
    case 'Brightness':
      return px.brightness(image, enhance());
    case 'BrightnessIncreasing':
      return px.brightness(image, enhanceIncreasing());
    case 'Sharpness':
      return px.sharpness(image, enhance());
    case 'SharpnessIncreasing':
      return px.sharpness(image, enhanceIncreasing());
    case 'ShearX':
      return shearX(image, randomlyNegate(frac * 0.3, rng), ctx.fill, ctx.interpolation);
    case 'ShearY':
      return shearY(image, randomlyNegate(frac * 0.3, rng), ctx.fill, ctx.interpolation);
    case 'TranslateXRel':
      return translateX(image, randomlyNegate(frac * ctx.translatePct, rng) * image.width, ctx.fill, ctx.interpolation);
    case 'TranslateYRel':
      return translateY(image, randomlyNegate(frac * ctx.translatePct, rng) * image.height, ctx.fill, ctx.interpolation);
  }
}

/** Applies one named op at a fixed level (0..10), including its random sign; for tests and custom policies. */
export function applyRandAugmentOp(name: RandAugmentOpName, image: Image, level: number, rng: Rng, options: Partial<OpContext> = {}): Uint8Image {
  const ctx: OpContext = {
    fill: options.fill ?? DEFAULT_FILL,
    translatePct: options.translatePct ?? 0.45,
    interpolation: options.interpolation ?? 'bilinear',
  };
  return applyOp(name, toUint8(image), level, rng, ctx);
}

export function randAugment(config: string | RandAugmentOptions): Transform<Extract<TransformSpec, { kind: 'randAugment' }>> {
  const options = typeof config === 'string' ? parseRandAugmentConfig(config) : config;
  const numLayers = options.numLayers ?? 2;
  const magnitudeStd = options.magnitudeStd ?? 0;
  const upper = options.magnitudeMax ?? LEVEL_DENOM;
  const prob = options.prob ?? 0.5;
  const ops = options.ops ?? (options.increasing ? RAND_INCREASING_TRANSFORMS : RAND_TRANSFORMS);
  const ctx: OpContext = {
    fill: options.fill ?? DEFAULT_FILL,
    translatePct: options.translatePct ?? 0.45,
    interpolation: options.interpolation ?? 'bilinear',
  };
  const resolved: RandAugmentOptions = {
    numLayers,
    magnitude: options.magnitude,
    // JSON cannot carry Infinity: encode uniform sampling as -1 in the spec
    magnitudeStd: magnitudeStd === Infinity ? -1 : magnitudeStd,
    magnitudeMax: upper,
    prob,
    fill: ctx.fill,
    translatePct: ctx.translatePct,
    interpolation: ctx.interpolation,
    ops: [...ops],
  };
  const uniform = magnitudeStd === Infinity || magnitudeStd < 0;
  return {
    spec: { kind: 'randAugment', options: resolved },
    apply(image, rng) {
      let out = toUint8(image);
      for (let layer = 0; layer < numLayers; layer++) {
        const name = rng.choice(ops);
        if (prob < 1 && rng.random() > prob) continue;
        let magnitude = options.magnitude;
        if (uniform) magnitude = rng.uniform(0, magnitude);
        else if (magnitudeStd > 0) magnitude = rng.normal(magnitude, magnitudeStd);
        magnitude = Math.max(0, Math.min(magnitude, upper));
        out = applyOp(name, out, magnitude, rng, ctx);
      }
      return out;
    },
  };
}
