import { toUint8 } from '../image';
import * as px from './pixelOps';
import type { Transform, TransformSpec } from './types';

export interface ColorJitterOptions {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** Max hue shift in turns, at most 0.5. */
  hue?: number;
}

/**
 * torchvision ColorJitter: factors ~ U[max(0, 1−v), 1+v] (hue shift ~ U[−h, h]), the four adjustments applied in a
 * random order.
 */
export function colorJitter(options: ColorJitterOptions | number): Transform<Extract<TransformSpec, { kind: 'colorJitter' }>> {
  const o: Required<ColorJitterOptions> =
    typeof options === 'number'
      ? { brightness: options, contrast: options, saturation: options, hue: 0 }
      : { brightness: options.brightness ?? 0, contrast: options.contrast ?? 0, saturation: options.saturation ?? 0, hue: options.hue ?? 0 };
  if (o.hue < 0 || o.hue > 0.5) throw new Error(`colorJitter: hue must be in [0, 0.5], got ${o.hue}`);
  return {
    spec: { kind: 'colorJitter', options: o },
    apply(image, rng) {
      let out = toUint8(image);
      for (const which of rng.permutation(4)) {
        if (which === 0 && o.brightness > 0) out = px.brightness(out, rng.uniform(Math.max(0, 1 - o.brightness), 1 + o.brightness));
        if (which === 1 && o.contrast > 0) out = px.contrast(out, rng.uniform(Math.max(0, 1 - o.contrast), 1 + o.contrast));
        if (which === 2 && o.saturation > 0) out = px.color(out, rng.uniform(Math.max(0, 1 - o.saturation), 1 + o.saturation));
        if (which === 3 && o.hue > 0) out = px.hue(out, rng.uniform(-o.hue, o.hue));
      }
      return out;
    },
  };
}
