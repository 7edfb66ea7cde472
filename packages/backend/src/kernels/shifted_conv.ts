import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { GemmExports } from './heap_provider';
import { cropFrom, forEachTapBlock, inputPlacement, outputPlacement, padInto, shiftGrid } from './shift_grid';
import { floatView, heapOffset, releaseScratch, scratchTensor } from './wasm_tensors';

/**
 * Forward and input gradient of a dense NHWC convolution as one heap GEMM per filter tap on the padded grid of
 * shift_grid.ts (no im2col, no XNNPACK): with xp the input's padded phase grids (stride 1: x padded) and yp the output
 * on the output grid,
 *   yp[q] = Σ_taps xp[phase, q + shift]·W[tap]        (W[tap] = [CI, CO], the filter's layout: read in place)
 *   dxp[phase, q + shift] += dyp[q]·W[tap]ᵀ           (dyp zero outside the output pixels; Wᵀ copied, [taps, CO, CI])
 * then y (dx) is cropped out of the grid. Each GEMM reads rows at a constant shift, so one block of grid rows serves
 * every tap while it sits in L2. Grid rows that are not output pixels compute values nobody reads (forward) or add
 * zeros (gradient). Used where the heap GEMM is OpenBLAS (@nextnets/backend-native), which is faster than the stock
 * XNNPACK convolution on these shapes; see conv2d_shifted.ts for the routing.
 */

export function shiftedConvForward(
  backend: BackendWasm,
  gemm: GemmExports,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: batch, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const grid = shiftGrid(info);
  // Allocate before taking heap offsets: an allocation can grow (and move the views of) the heap.
  const out = backend.makeOutput(info.outShape, 'float32');
  const xp = grid.copyFree ? x : scratchTensor(backend, [grid.phases * grid.gridRows, ci]);
  const yp = grid.copyFree ? out : scratchTensor(backend, [grid.gridRows, co]);
  if (!grid.copyFree) padInto(floatView(backend, x), floatView(backend, xp), batch, inHeight, inWidth, ci, inputPlacement(grid, info));
  const [xPtr, wPtr, yPtr] = [xp, filter, yp].map((t) => heapOffset(backend, t));
  // yp[start + r] (+)= xp[phase, row + r]·W[t] over r < n; the first tap writes, the others add
  forEachTapBlock(grid, ci + co, (start, n, t, row) =>
    gemm.gemmNN(xPtr + row * ci * 4, wPtr + t * ci * co * 4, yPtr + start * co * 4, 0, n, co, ci, ci, 1, 0, t === 0 ? 0 : 1),
  );
  if (!grid.copyFree) {
    cropFrom(floatView(backend, yp), floatView(backend, out), batch, outHeight, outWidth, co, outputPlacement(grid));
    releaseScratch(backend, xp, yp);
  }
  return out;
}

export function shiftedConvInputGradient(
  backend: BackendWasm,
  gemm: GemmExports,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: batch, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const grid = shiftGrid(info);
  const taps = grid.shifts.length;
  const out = backend.makeOutput(info.inShape, 'float32');
  const dyp = grid.copyFree ? dy : scratchTensor(backend, [grid.gridRows, co]);
  const dxp = grid.copyFree ? out : scratchTensor(backend, [grid.phases * grid.gridRows, ci]);
  const wt = scratchTensor(backend, [taps, co, ci]);
  if (!grid.copyFree) {
    padInto(floatView(backend, dy), floatView(backend, dyp), batch, outHeight, outWidth, co, outputPlacement(grid));
  }
  floatView(backend, dxp).fill(0);
  transposeTaps(floatView(backend, filter), floatView(backend, wt), taps, ci, co);
  const [dyPtr, wtPtr, dxPtr] = [dyp, wt, dxp].map((t) => heapOffset(backend, t));
  // dxp[phase, row + r] += dyp[start + r]·W[t]ᵀ over r < n
  forEachTapBlock(grid, ci + co, (start, n, t, row) =>
    gemm.gemmNN(dyPtr + start * co * 4, wtPtr + t * co * ci * 4, dxPtr + row * ci * 4, 0, n, ci, co, co, 1, 0, 1),
  );
  releaseScratch(backend, wt);
  if (!grid.copyFree) {
    cropFrom(floatView(backend, dxp), floatView(backend, out), batch, inHeight, inWidth, ci, inputPlacement(grid, info));
    releaseScratch(backend, dyp, dxp);
  }
  return out;
}

/** wt[t, o, i] = w[t, i, o]: each tap's [CI, CO] block transposed. */
function transposeTaps(w: Float32Array, wt: Float32Array, taps: number, ci: number, co: number): void {
  for (let t = 0; t < taps; t++) {
    const base = t * ci * co;
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) wt[base + o * ci + i] = w[base + i * co + o];
  }
}
