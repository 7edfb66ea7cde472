import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * The padded grid on which every tap of a convolution is a constant row shift (shifted_conv.ts,
 * shifted_filter_gradient.ts). With X' the input padded by (top, left) and strides (sh, sw), tap (fh, fw) of output
 * pixel (oh, ow) reads X'[sh·oh + fh·dh, sw·ow + fw·dw]. Split X' into sh·sw phase grids
 * P[a, b][i, j] = X'[sh·i + a, sw·j + b], each [B, hp, wp] with hp = outH + ⌊(FH−1)·dh/sh⌋, wp = outW + ⌊(FW−1)·dw/sw⌋;
 * then the tap reads phase (fh·dh mod sh, fw·dw mod sw) at grid row q + ⌊fh·dh/sh⌋·wp + ⌊fw·dw/sw⌋, where
 * q = (b·hp + oh)·wp + ow is the output pixel's row on the same [B, hp, wp] grid. Stride 1 has one phase: x padded.
 */
export interface ShiftGrid {
  hp: number;
  wp: number;
  /** Rows of one phase grid, B·hp·wp. */
  gridRows: number;
  /** sh·sw phase grids, stored one after the other. */
  phases: number;
  /** Grid rows up to the last output pixel's: its farthest tap reads a phase grid's last row. */
  rows: number;
  /** Per tap, in (fh, fw) order: the phase grid it reads and its row shift there. */
  tapPhase: number[];
  shifts: number[];
  /** True when the grid is x itself and the output pixels fill it (1×1 filter, stride 1, no padding): nothing to copy. */
  copyFree: boolean;
}

export function shiftGrid(info: backend_util.Conv2DInfo): ShiftGrid {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, dilationHeight: dh, dilationWidth: dw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const hp = outHeight + Math.floor(((filterHeight - 1) * dh) / sh);
  const wp = outWidth + Math.floor(((filterWidth - 1) * dw) / sw);
  const tapPhase: number[] = [];
  const shifts: number[] = [];
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      tapPhase.push(((i * dh) % sh) * sw + ((j * dw) % sw));
      shifts.push(Math.floor((i * dh) / sh) * wp + Math.floor((j * dw) / sw));
    }
  }
  const { top, left } = info.padInfo;
  const copyFree =
    sh === 1 && sw === 1 && hp === outHeight && wp === outWidth && top === 0 && left === 0 && hp === inHeight && wp === inWidth;
  const rows = ((batchSize - 1) * hp + outHeight - 1) * wp + outWidth;
  return { hp, wp, gridRows: batchSize * hp * wp, phases: sh * sw, rows, tapPhase, shifts, copyFree };
}

/** True for the convolutions the shifted-row GEMMs compute: a non-empty output (any stride, dilation and padding). */
export function isShiftable(info: backend_util.Conv2DInfo): boolean {
  return info.outHeight > 0 && info.outWidth > 0 && info.inChannels > 0 && info.outChannels > 0;
}

/**
 * Grid rows per GEMM call for `floatsPerRow` floats of operands per row: ~256 KiB, which stays in L2 while the taps
 * sweep the same block one after the other.
 */
function blockRows(floatsPerRow: number): number {
  return Math.max(16, Math.floor((1 << 16) / floatsPerRow));
}

/** Grid geometry for padInto / cropFrom: [B, hp, wp] per phase, strides (sh, sw), padding (top, left). */
export interface GridPlacement {
  hp: number;
  wp: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** The output grid of a ShiftGrid: one phase, no padding. */
export function outputPlacement(grid: ShiftGrid): GridPlacement {
  return { hp: grid.hp, wp: grid.wp, sh: 1, sw: 1, top: 0, left: 0 };
}

/** The input's phase grids of a ShiftGrid. */
export function inputPlacement(grid: ShiftGrid, info: backend_util.Conv2DInfo): GridPlacement {
  return { hp: grid.hp, wp: grid.wp, sh: info.strideHeight, sw: info.strideWidth, top: info.padInfo.top, left: info.padInfo.left };
}

/** Copies c floats (a subarray per call costs more than a loop for a few floats). */
function copy(src: Float32Array, from: number, dst: Float32Array, to: number, c: number): void {
  if (c >= 16) dst.set(src.subarray(from, from + c), to);
  else for (let k = 0; k < c; k++) dst[to + k] = src[from + k];
}

/**
 * Calls `visit(pixel, cell, count)` for every run of `count` pixels of a [B, h, w] image that lie inside the grid, in
 * order: `pixel` is the run's first pixel index in the image, `cell` its first cell index over the phase grids (cells
 * are c floats apart in both). Pixel (b, r, col) goes to phase ((r + top) mod sh, (col + left) mod sw) at
 * ((r + top) div sh, (col + left) div sw); with one phase a run is a whole in-grid stretch of an image row.
 */
function forEachGridCell(batch: number, h: number, w: number, g: GridPlacement, visit: (pixel: number, cell: number, count: number) => void): void {
  const { hp, wp, sh, sw, top, left } = g;
  if (sh === 1 && sw === 1) {
    const c0 = Math.max(0, -left);
    const c1 = Math.min(w, wp - left);
    if (c1 <= c0) return;
    for (let b = 0; b < batch; b++) {
      for (let r = Math.max(0, -top); r < Math.min(h, hp - top); r++) visit((b * h + r) * w + c0, (b * hp + r + top) * wp + left + c0, c1 - c0);
    }
    return;
  }
  const phaseCells = batch * hp * wp;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < h; r++) {
      const i = Math.floor((r + top) / sh);
      if (r + top < 0 || i >= hp) continue;
      const a = (r + top) % sh;
      for (let col = 0; col < w; col++) {
        const j = Math.floor((col + left) / sw);
        if (col + left < 0 || j >= wp) continue;
        const phase = a * sw + ((col + left) % sw);
        visit((b * h + r) * w + col, phase * phaseCells + (b * hp + i) * wp + j, 1);
      }
    }
  }
}

/**
 * dst (sh·sw phase grids of [B, hp, wp, c]) = zeros with src [B, h, w, c] in place: src[b, r, col] goes to phase
 * ((r + top) mod sh, (col + left) mod sw) at ((r + top) div sh, (col + left) div sw) when that lies inside the grid.
 */
export function padInto(src: Float32Array, dst: Float32Array, batch: number, h: number, w: number, c: number, g: GridPlacement): void {
  if (g.sh !== 1 || g.sw !== 1) {
    dst.fill(0);
    forEachGridCell(batch, h, w, g, (pixel, cell, count) => copy(src, pixel * c, dst, cell * c, count * c));
    return;
  }
  // one phase: the runs come in increasing cell order, so only the gaps between them (the padding) are zeroed
  let written = 0;
  forEachGridCell(batch, h, w, g, (pixel, cell, count) => {
    dst.fill(0, written, cell * c);
    copy(src, pixel * c, dst, cell * c, count * c);
    written = (cell + count) * c;
  });
  dst.fill(0, written);
}

/** The inverse of padInto: dst [B, h, w, c] = the grid cells of src, zeros where a position has no grid cell. */
export function cropFrom(src: Float32Array, dst: Float32Array, batch: number, h: number, w: number, c: number, g: GridPlacement): void {
  const { hp, wp, sh, sw, top, left } = g;
  // zeros only where some pixel has no grid cell (the cells cover the whole image in the usual stride-1 case)
  const covered = sh === 1 && sw === 1 && left >= 0 && top >= 0 && wp - left >= w && hp - top >= h;
  if (!covered) dst.fill(0);
  forEachGridCell(batch, h, w, g, (pixel, cell, count) => copy(src, cell * c, dst, pixel * c, count * c));
}

/**
 * Calls `gemm(start, n, t, row)` for every block of `blockRows(floatsPerRow)` output-grid rows and every tap in order:
 * rows [start, start + n) of the output grid, and `row`, the first row tap t reads for them over the phase grids.
 */
export function forEachTapBlock(grid: ShiftGrid, floatsPerRow: number, gemm: (start: number, n: number, t: number, row: number) => void): void {
  const block = blockRows(floatsPerRow);
  for (let start = 0; start < grid.rows; start += block) {
    const n = Math.min(block, grid.rows - start);
    grid.shifts.forEach((shift, t) => gemm(start, n, t, grid.tapPhase[t] * grid.gridRows + start + shift));
  }
}
