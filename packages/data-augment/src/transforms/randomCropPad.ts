import { checkImage, clampByte, type Image } from '../image';
import type { Box } from '../resample';
import type { Rng } from '../random';
import { squareSize } from './randomResizedCrop';
import type { Transform, TransformSpec } from './types';

export interface RandomCropPadOptions {
  /**
   * Output size (square) or [height, width]. Default: the input's own size, so the transform only translates
   * (torchvision `RandomCrop(32, padding=4)` on 32x32 CIFAR images).
   */
  size?: number | [number, number];
  /** Constant padding added on every side before cropping (torchvision `padding=p`); default 0. */
  padding?: number;
  /** Padding value, one for all channels or one per channel (torchvision `fill`); default 0. */
  fill?: number | number[];
}

/**
 * The crop window in padded coordinates (torchvision `RandomCrop.get_params`): top ~ U{0..H+2p-h}, then
 * left ~ U{0..W+2p-w}; no draw when the padded image already has the output size.
 */
export function samplePadCropBox(height: number, width: number, padding: number, outH: number, outW: number, rng: Rng): Box {
  const paddedH = height + 2 * padding;
  const paddedW = width + 2 * padding;
  if (outH > paddedH || outW > paddedW) {
    throw new Error(`randomCropPad: output ${outH}x${outW} is larger than the padded image ${paddedH}x${paddedW} (input ${height}x${width}, padding ${padding})`);
  }
  if (outH === paddedH && outW === paddedW) return { top: 0, left: 0, height: outH, width: outW };
  const top = rng.randint(0, paddedH - outH);
  const left = rng.randint(0, paddedW - outW);
  return { top, left, height: outH, width: outW };
}

/** The window `box` (in coordinates of the image padded by `padding` on each side) with pad pixels set to `fill`. */
export function padCrop(image: Image, padding: number, box: Box, fill: number[]): Image {
  const { height, width, channels: c } = image;
  const bytes = image.data instanceof Uint8Array;
  const out = bytes ? new Uint8Array(box.height * box.width * c) : new Float32Array(box.height * box.width * c);
  const values = fill.map((v) => (bytes ? clampByte(v) : v));
  if (values.some((v) => v !== 0)) {
    for (let i = 0; i < out.length; i += c) for (let ch = 0; ch < c; ch++) out[i + ch] = values[ch];
  }
  // output column x shows source column left + x - padding; copy the columns that fall inside the image
  const x0 = Math.max(0, padding - box.left);
  const x1 = Math.min(box.width, width + padding - box.left);
  for (let y = 0; y < box.height; y++) {
    const sy = box.top + y - padding;
    if (sy < 0 || sy >= height || x1 <= x0) continue;
    const from = (sy * width + box.left + x0 - padding) * c;
    out.set(image.data.subarray(from, from + (x1 - x0) * c), (y * box.width + x0) * c);
  }
  return { data: out, height: box.height, width: box.width, channels: c };
}

/**
 * torchvision `RandomCrop(size, padding=p, fill)` with constant padding: pads by `padding` pixels on each side with
 * `fill`, then crops `size` at a uniformly random offset drawn from the transform's RNG.
 */
export function randomCropPad(options: RandomCropPadOptions = {}): Transform<Extract<TransformSpec, { kind: 'randomCropPad' }>> {
  const size = options.size === undefined ? undefined : squareSize(options.size);
  const padding = options.padding ?? 0;
  if (!(Number.isInteger(padding) && padding >= 0)) throw new Error(`randomCropPad: padding must be an integer >= 0, got ${padding}`);
  const fill = options.fill ?? 0;
  if (![fill].flat().every(Number.isFinite)) throw new Error(`randomCropPad: fill must be finite numbers, got ${JSON.stringify(fill)}`);
  return {
    spec: { kind: 'randomCropPad', options: { ...(options.size === undefined ? {} : { size: options.size }), padding, fill } },
    apply(image, rng) {
      checkImage(image, 'randomCropPad');
      const [outH, outW] = size ?? [image.height, image.width];
      if (padding === 0 && outH === image.height && outW === image.width) return image;
      const values = typeof fill === 'number' ? Array<number>(image.channels).fill(fill) : fill;
      if (values.length !== image.channels) {
        throw new Error(`randomCropPad: fill has ${values.length} values for a ${image.channels}-channel image`);
      }
      return padCrop(image, padding, samplePadCropBox(image.height, image.width, padding, outH, outW, rng), values);
    },
  };
}
