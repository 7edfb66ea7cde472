import type { Image } from './image';

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'bilinear', 'bicubic'];

/** Integer source rectangle (a crop). */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  taps: number;
}

const SUPPORT: Record<Exclude<Interpolation, 'nearest'>, number> = { bilinear: 1, bicubic: 2 };

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Keys cubic with a = -0.5 (PIL's BICUBIC). */
function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * Per-output-pixel filter taps along one axis, as PIL's antialiased resize computes them: when shrinking, the filter
 * support widens by the scale factor so that every source pixel contributes.
 */
function axisWeights(inStart: number, inSize: number, outSize: number, full: number, interpolation: Interpolation): AxisWeights {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  if (interpolation === 'nearest') {
    const weights = new Float32Array(outSize).fill(1);
    for (let o = 0; o < outSize; o++) {
      start[o] = Math.min(full - 1, Math.floor(inStart + (o + 0.5) * scale));
      count[o] = 1;
    }
    return { start, count, weights, taps: 1 };
  }
  const filter = interpolation === 'bilinear' ? triangle : cubic;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT[interpolation] * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const weights = new Float32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const center = inStart + (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), full);
    let total = 0;
    const n = Math.min(hi - lo, taps);
    for (let k = 0; k < n; k++) {
      const w = filter((lo + k - center + 0.5) / filterScale);
      weights[o * taps + k] = w;
      total += w;
    }
    if (total !== 0) for (let k = 0; k < n; k++) weights[o * taps + k] /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, taps };
}

/**
 * Resizes the `box` region of `image` to outHeight x outWidth (separable convolution, like PIL `resize(size, box=...)`).
 * Byte images stay bytes (rounded, clamped); float images stay float.
 */
export function resizeRegion(
  image: Image,
  box: Box,
  outHeight: number,
  outWidth: number,
  interpolation: Interpolation,
): Image {
  const { width, channels: c } = image;
  const src = image.data;
  const horizontal = axisWeights(box.left, box.width, outWidth, width, interpolation);
  const vertical = axisWeights(box.top, box.height, outHeight, image.height, interpolation);
  // horizontal pass over the rows the vertical pass will read
  const rowLo = vertical.start[0];
  let rowHi = 0;
  for (let o = 0; o < outHeight; o++) rowHi = Math.max(rowHi, vertical.start[o] + vertical.count[o]);
  const rows = rowHi - rowLo;
  const temp = horizontalPass(image, rowLo, rows, horizontal, outWidth);
  const isByte = src instanceof Uint8Array;
  const out = isByte ? new Uint8Array(outHeight * outWidth * c) : new Float32Array(outHeight * outWidth * c);
  verticalPass(temp, rowLo, vertical, outHeight, outWidth * c, out);
  return { data: out, height: outHeight, width: outWidth, channels: c };
}

/** Filters `rows` source rows from `rowLo` along x into a float buffer of rows x outWidth x c. */
function horizontalPass(image: Image, rowLo: number, rows: number, axis: AxisWeights, outWidth: number): Float32Array {
  const { width, channels: c } = image;
  // copy the rows as float once so the filter loop below is monomorphic
  const src = Float32Array.from(image.data.subarray(rowLo * width * c, (rowLo + rows) * width * c));
  const temp = new Float32Array(rows * outWidth * c);
  const { start, count, weights, taps } = axis;
  for (let r = 0; r < rows; r++) {
    const srcRow = r * width * c;
    const dstRow = r * outWidth * c;
    for (let o = 0; o < outWidth; o++) {
      const base = srcRow + start[o] * c;
      const n = count[o];
      const wBase = o * taps;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += weights[wBase + k] * src[base + k * c + ch];
        temp[dstRow + o * c + ch] = acc;
      }
    }
  }
  return temp;
}

function verticalPass(
  temp: Float32Array,
  rowLo: number,
  axis: AxisWeights,
  outHeight: number,
  rowStride: number,
  dst: Float32Array | Uint8Array,
): void {
  const isByte = dst instanceof Uint8Array;
  const { start, count, weights, taps } = axis;
  const acc = new Float32Array(rowStride);
  for (let o = 0; o < outHeight; o++) {
    const y0 = start[o] - rowLo;
    const n = count[o];
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = weights[o * taps + k];
      const row = (y0 + k) * rowStride;
      for (let i = 0; i < rowStride; i++) acc[i] += w * temp[row + i];
    }
    if (!isByte) {
      dst.set(acc, o * rowStride);
      continue;
    }
    // bytes: round half up and clamp, as PIL's 8-bit resampler
    const base = o * rowStride;
    for (let i = 0; i < rowStride; i++) {
      const v = acc[i] + 0.5;
      dst[base + i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
}

/** Resizes the whole image. */
export function resize(image: Image, outHeight: number, outWidth: number, interpolation: Interpolation): Image {
  return resizeRegion(image, { top: 0, left: 0, height: image.height, width: image.width }, outHeight, outWidth, interpolation);
}

/** Copies an integer crop (no resampling). */
export function crop(image: Image, box: Box): Image {
  const { channels: c } = image;
  const out = image.data instanceof Uint8Array ? new Uint8Array(box.height * box.width * c) : new Float32Array(box.height * box.width * c);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.top + y) * image.width + box.left) * c;
    out.set(image.data.subarray(from, from + box.width * c), y * box.width * c);
  }
  return { data: out, height: box.height, width: box.width, channels: c };
}
