import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { GemmExports } from './heap_provider';
import { forEachTapBlock, inputPlacement, outputPlacement, padInto, shiftGrid } from './shift_grid';
import { floatView, heapOffset, releaseScratch, scratchTensor, zeroedOutput } from './wasm_tensors';

/**
 * The weight gradient of a convolution without im2col, on the padded grid of shift_grid.ts: x split into its padded
 * phase grids xp (one per stride phase; stride 1: x padded) and dy laid out on the output grid, dyp [B, hp, wp, CO],
 * zero outside the output pixels. Output pixel q reads tap (fh, fw) at row q + shift of one phase grid, so each tap's
 * [CI, CO] block of dW is one product xpᵀ·dyp over q with xp read from that phase and shift: FH·FW GEMMs over the same rows instead of an FH·FW times larger patch matrix (im2col)
 * written and read back. The zero rows of dyp contribute nothing. The rows go in L2-sized blocks, all taps per block,
 * accumulating into dW. A 1×1 filter without padding needs no copy at all.
 */
export function shiftedFilterGradient(
  backend: BackendWasm,
  gemm: GemmExports,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: batch, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const grid = shiftGrid(info);
  // Allocate everything before taking heap offsets: an allocation can grow (and move the views of) the heap.
  const out = zeroedOutput(backend, info.filterShape, 'float32');
  const xp = grid.copyFree ? x : scratchTensor(backend, [grid.phases * grid.gridRows, ci]);
  const dyp = grid.copyFree ? dy : scratchTensor(backend, [grid.gridRows, co]);
  if (!grid.copyFree) {
    padInto(floatView(backend, x), floatView(backend, xp), batch, inHeight, inWidth, ci, inputPlacement(grid, info));
    padInto(floatView(backend, dy), floatView(backend, dyp), batch, outHeight, outWidth, co, outputPlacement(grid));
  }
  const [xPtr, dyPtr, outPtr] = [xp, dyp, out].map((t) => heapOffset(backend, t));
  // dW[t] (ci × co) += xp[phase, row + r, :]ᵀ · dyp[start + r, :] over r < n: aᵀ with row stride 1, column stride ci
  forEachTapBlock(grid, ci + co, (start, n, t, row) =>
    gemm.gemmNN(xPtr + row * ci * 4, dyPtr + start * co * 4, outPtr + t * ci * co * 4, 0, ci, co, n, 1, ci, 0, 1),
  );
  if (!grid.copyFree) releaseScratch(backend, xp, dyp);
  return out;
}
