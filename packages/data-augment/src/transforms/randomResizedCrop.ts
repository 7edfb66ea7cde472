import { pyRound } from '@nextnets/core-layers';
import { checkImage } from '../image';
import { resizeRegion, type Box, type Interpolation } from '../resample';
import type { Rng } from '../random';
import type { Transform, TransformSpec } from './types';

export interface RandomResizedCropOptions {
  /** Output size (square) or [height, width]. */
  size: number | [number, number];
  /** Range of the crop area as a fraction of the image area. */
  scale?: [number, number];
  /** Range of the crop aspect ratio (width / height), sampled log-uniformly. */
  ratio?: [number, number];
  interpolation?: Interpolation;
}

/**
 * timm `RandomResizedCropAndInterpolation.get_params`: 10 attempts with area ~ U(scale)·A and log-uniform aspect ratio;
 * when none fits, a center crop clamped to the ratio range.
 */
export function sampleCropBox(height: number, width: number, scale: [number, number], ratio: [number, number], rng: Rng): Box {
  const area = height * width;
  const logRatio: [number, number] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = rng.uniform(scale[0], scale[1]) * area;
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = pyRound(Math.sqrt(targetArea * aspect));
    const h = pyRound(Math.sqrt(targetArea / aspect));
    if (w <= width && h <= height && w > 0 && h > 0) {
      const top = rng.randint(0, height - h);
      const left = rng.randint(0, width - w);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...ratio)) {
    h = pyRound(w / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    w = pyRound(h * Math.max(...ratio));
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

export function squareSize(size: number | [number, number]): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new Error(`invalid output size ${JSON.stringify(size)}`);
  return [h, w];
}

export function randomResizedCrop(options: RandomResizedCropOptions): Transform<Extract<TransformSpec, { kind: 'randomResizedCrop' }>> {
  const [outH, outW] = squareSize(options.size);
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  const interpolation = options.interpolation ?? 'bilinear';
  return {
    spec: { kind: 'randomResizedCrop', options: { size: options.size, scale, ratio, interpolation } },
    apply(image, rng) {
      checkImage(image, 'randomResizedCrop');
      const box = sampleCropBox(image.height, image.width, scale, ratio, rng);
      return resizeRegion(image, box, outH, outW, interpolation);
    },
  };
}
