import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * The padded grid of a stride-1 convolution on which every tap is a constant row shift (shifted_conv.ts,
 * shifted_filter_gradient.ts): x padded to [B, hp, wp, CI] with hp = outH + (FH−1)·dh and wp = outW + (FW−1)·dw,
 * output pixel (b, oh, ow) at grid row q = (b·hp + oh)·wp + ow, reading tap (fh, fw) at grid row q + fh·dh·wp + fw·dw.
 */
export interface ShiftGrid {
  hp: number;
  wp: number;
  /** Grid rows up to the last output pixel's: its farthest tap reads the grid's last row. */
  rows: number;
  /** Grid-row shift of each tap, in (fh, fw) order. */
  shifts: number[];
  /** True when the grid is x itself and the output pixels fill it (1×1 filter, no padding): nothing to copy. */
  copyFree: boolean;
}

export function shiftGrid(info: backend_util.Conv2DInfo): ShiftGrid {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, dilationHeight, dilationWidth } = info;
  const hp = outHeight + (filterHeight - 1) * dilationHeight;
  const wp = outWidth + (filterWidth - 1) * dilationWidth;
  const shifts: number[] = [];
  for (let i = 0; i < filterHeight; i++) for (let j = 0; j < filterWidth; j++) shifts.push(i * dilationHeight * wp + j * dilationWidth);
  const { top, left } = info.padInfo;
  const copyFree = hp === outHeight && wp === outWidth && top === 0 && left === 0 && hp === inHeight && wp === inWidth;
  return { hp, wp, rows: ((batchSize - 1) * hp + outHeight - 1) * wp + outWidth, shifts, copyFree };
}

/** True for the convolutions the shifted-row GEMMs compute: stride 1 in both directions, a non-empty output. */
export function isShiftable(info: backend_util.Conv2DInfo): boolean {
  return info.strideHeight === 1 && info.strideWidth === 1 && info.outHeight > 0 && info.outWidth > 0;
}

/**
 * Grid rows per GEMM call for `floatsPerRow` floats of operands per row: ~256 KiB, which stays in L2 while the taps
 * sweep the same block one after the other.
 */
export function blockRows(floatsPerRow: number): number {
  return Math.max(16, Math.floor((1 << 16) / floatsPerRow));
}

/** dst [B, hp, wp, c] = zeros with src [B, h, w, c] placed at rows top.., columns left.. (clipped to the grid). */
export function padInto(
  src: Float32Array, dst: Float32Array, batch: number, h: number, w: number, c: number, hp: number, wp: number, top: number,
  left: number,
): void {
  dst.fill(0);
  const c0 = Math.max(0, -left);
  const c1 = Math.min(w, wp - left);
  if (c1 <= c0) return;
  for (let b = 0; b < batch; b++) {
    for (let r = Math.max(0, -top); r < Math.min(h, hp - top); r++) {
      const from = ((b * h + r) * w + c0) * c;
      dst.set(src.subarray(from, from + (c1 - c0) * c), ((b * hp + r + top) * wp + left + c0) * c);
    }
  }
}

/**
 * The inverse crop: dst [B, h, w, c] = src's grid cells at rows top.., columns left..; dst's rows and columns that lie
 * outside the grid (reached by no window) become zeros.
 */
export function cropFrom(
  src: Float32Array, dst: Float32Array, batch: number, h: number, w: number, c: number, hp: number, wp: number, top: number,
  left: number,
): void {
  const c0 = Math.max(0, -left);
  const c1 = Math.min(w, wp - left);
  const r0 = Math.max(0, -top);
  const r1 = Math.min(h, hp - top);
  if (c0 > 0 || c1 < w || r0 > 0 || r1 < h) dst.fill(0);
  if (c1 <= c0) return;
  for (let b = 0; b < batch; b++) {
    for (let r = r0; r < r1; r++) {
      const from = ((b * hp + r + top) * wp + left + c0) * c;
      dst.set(src.subarray(from, from + (c1 - c0) * c), ((b * h + r) * w + c0) * c);
    }
  }
}
