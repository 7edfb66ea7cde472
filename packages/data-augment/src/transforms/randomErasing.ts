import { pyRound } from '@nextnets/core-layers';
import type { Image } from '../image';
import type { Rng } from '../random';
import type { Transform, TransformSpec } from './types';

export interface RandomErasingOptions {
  probability?: number;
  /** 'pixel': per-pixel N(0,1); 'rand': one N(0,1) colour per box; 'const': zeros. */
  mode?: 'pixel' | 'const' | 'rand';
  /** Maximum number of boxes (timm `max_count`; the count is drawn from [minCount, count]). */
  count?: number;
  minCount?: number;
  minArea?: number;
  maxArea?: number;
  minAspect?: number;
  maxAspect?: number;
}

/**
 * timm RandomErasing, applied to the normalised float image (after `normalize`, as in timm): with probability p, erase
 * `count` boxes of area ~ U(minArea, maxArea)·A/count and log-uniform aspect, each with up to 10 placement attempts.
 */
export function randomErasing(options: RandomErasingOptions = {}): Transform<Extract<TransformSpec, { kind: 'randomErasing' }>> {
  const o = {
    probability: options.probability ?? 0.5,
    mode: options.mode ?? 'const',
    count: options.count ?? 1,
    minCount: options.minCount ?? 1,
    minArea: options.minArea ?? 0.02,
    maxArea: options.maxArea ?? 1 / 3,
    minAspect: options.minAspect ?? 0.3,
    maxAspect: options.maxAspect ?? 1 / (options.minAspect ?? 0.3),
  };
  const logAspect: [number, number] = [Math.log(o.minAspect), Math.log(o.maxAspect)];
  return {
    spec: { kind: 'randomErasing', options: o },
    apply(image: Image, rng: Rng): Image {
      if (image.data instanceof Uint8Array) {
        throw new Error('randomErasing: expects a normalised float image; put it after normalize() as timm does');
      }
      if (rng.random() > o.probability) return image;
      const { height, width, channels: c } = image;
      const data = image.data.slice();
      const count = o.minCount === o.count ? o.count : rng.randint(o.minCount, o.count);
      for (let box = 0; box < count; box++) {
        for (let attempt = 0; attempt < 10; attempt++) {
          const targetArea = (rng.uniform(o.minArea, o.maxArea) * height * width) / count;
          const aspect = Math.exp(rng.uniform(logAspect[0], logAspect[1]));
          const h = pyRound(Math.sqrt(targetArea * aspect));
          const w = pyRound(Math.sqrt(targetArea / aspect));
          if (w < width && h < height) {
            const top = rng.randint(0, height - h);
            const left = rng.randint(0, width - w);
            const colour = o.mode === 'rand' ? Array.from({ length: c }, () => rng.normal()) : undefined;
            for (let y = top; y < top + h; y++) {
              for (let x = left; x < left + w; x++) {
                for (let ch = 0; ch < c; ch++) {
                  data[(y * width + x) * c + ch] = o.mode === 'pixel' ? rng.normal() : colour ? colour[ch] : 0;
                }
              }
            }
            break;
          }
        }
      }
      return { data, height, width, channels: c };
    },
  };
}
