import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  BatchMatMul,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  assertChannelsLast,
  floatView,
  heapOffset,
  releaseScratch,
  runStockKernel,
  scratchTensor,
  zeroedOutput,
} from './wasm_tensors';
import { heapGemm } from './heap_gemm';
import { isShiftable } from './shift_grid';
import { shiftedFilterGradient } from './shifted_filter_gradient';

/** tfjs' attrs carry no dilations for this kernel; an optional `dilations` is honoured when given. */
type Attrs = Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/** Patch rows per stock matmul, so that one chunk of patches stays around 16 MB whatever the batch size. */
const PATCH_FLOATS_PER_CHUNK = 1 << 22;
/**
 * Patch rows per heap-GEMM call: ~256 KiB of patches, so that the chunk stays in L2 while the GEMM's tiles sweep it
 * (one long k of all output pixels streamed each 4×8 tile's operands from memory: 3×3 64→64 at 16×16 ran at 3.4
 * GMAC/s). The chunks accumulate into dW.
 */
const GEMM_PATCH_FLOATS_PER_CHUNK = 1 << 16;

/**
 * dW[fh,fw,ci,co] = sum over output pixels p=(b,oh,ow) of x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, ci] * dy[p,co].
 * With P = im2col(x) (one row of K = FH*FW*CI values per output pixel, zeros where the window leaves the
 * padded input) this is dW = P^T dy, chunk by chunk over output pixels: with our heap GEMM (Pᵀ·dy read in place,
 * already in dW's [K, CO] layout), else as (dy^T P)^T with the stock wasm BatchMatMul (XNNPACK, no transposes: its
 * transposed-operand path is a slow naive loop).
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations } = attrs as unknown as Attrs;
  assertChannelsLast(Conv2DBackpropFilter, dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
  );
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const co = info.outChannels;
  const pixels = info.batchSize * info.outHeight * info.outWidth;

  const gemm = heapGemm(backend);
  if (gemm != null && shiftedPays(info)) return shiftedFilterGradient(backend, gemm, x, dy, info);
  if (gemm != null) {
    const gemmRows = Math.max(4, Math.min(pixels, Math.floor(GEMM_PATCH_FLOATS_PER_CHUNK / k)));
    const out = zeroedOutput(backend, info.filterShape, 'float32');
    const patches = scratchTensor(backend, [gemmRows, k]);
    for (let start = 0; start < pixels; start += gemmRows) {
      const rows = Math.min(gemmRows, pixels - start);
      fillPatches(backend, x, patches, info, start, rows);
      // dW[k, co] += Σ_r patches[r, k]·dy[start + r, co]: aᵀ·b with a row stride of 1 and a column stride of k
      const dyPtr = heapOffset(backend, dy) + start * co * 4;
      gemm.gemmNN(heapOffset(backend, patches), dyPtr, heapOffset(backend, out), 0, k, co, rows, 1, k, 0, 1);
    }
    releaseScratch(backend, patches);
    return out;
  }

  const chunkRows = Math.max(1, Math.min(pixels, Math.floor(PATCH_FLOATS_PER_CHUNK / k)));
  const dWt = new Float32Array(co * k); // (dy^T P), [co, k]
  for (let start = 0; start < pixels; start += chunkRows) {
    const rows = Math.min(chunkRows, pixels - start);
    const patches = scratchTensor(backend, [1, rows, k]);
    const dyT = scratchTensor(backend, [1, co, rows]);
    fillPatches(backend, x, patches, info, start, rows);
    fillTransposed(floatView(backend, dy), floatView(backend, dyT), start, rows, co);
    const product = runStockKernel(backend, BatchMatMul, { a: dyT, b: patches }, { transposeA: false, transposeB: false });
    const pv = floatView(backend, product);
    for (let i = 0; i < pv.length; i++) dWt[i] += pv[i];
    releaseScratch(backend, patches, dyT, product);
  }

  const out = backend.makeOutput(info.filterShape, 'float32');
  const dW = floatView(backend, out);
  for (let o = 0; o < co; o++) {
    for (let i = 0; i < k; i++) dW[i * co + o] = dWt[o * k + i];
  }
  return out;
};

/**
 * True when the tap-by-tap GEMMs of shifted_filter_gradient.ts beat im2col: always at stride 1; strided only with 16 or
 * more input channels, since splitting x into stride phases copies it pixel by pixel (EfficientNetV2 at 224² batch
 * 16: the 3×3 stride-2 16 → 64 layer 122-172 → 37-54 ms, the 3-channel stem 38-40 → 61-62 ms).
 */
function shiftedPays(info: backend_util.Conv2DInfo): boolean {
  if (!isShiftable(info)) return false;
  return (info.strideHeight === 1 && info.strideWidth === 1) || info.inChannels >= 16;
}

/** Writes im2col rows [start, start + rows) of x into `patches` ([1, rows, FH*FW*CI], NHWC tap order). */
function fillPatches(
  backend: BackendWasm,
  x: TensorInfo,
  patches: TensorInfo,
  info: backend_util.Conv2DInfo,
  start: number,
  rows: number,
): void {
  const xv = floatView(backend, x);
  const pv = floatView(backend, patches);
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  let dst = 0;
  for (let r = start; r < start + rows; r++) {
    const ow = r % outWidth;
    const oh = Math.floor(r / outWidth) % outHeight;
    const b = Math.floor(r / (outWidth * outHeight));
    for (let fh = 0; fh < filterHeight; fh++) {
      const ih = oh * sh + fh * dh - top;
      const rowInside = ih >= 0 && ih < inHeight;
      for (let fw = 0; fw < filterWidth; fw++, dst += ci) {
        const iw = ow * sw + fw * dw - left;
        if (!rowInside || iw < 0 || iw >= inWidth) {
          pv.fill(0, dst, dst + ci);
          continue;
        }
        const src = ((b * inHeight + ih) * inWidth + iw) * ci;
        if (ci >= 16) pv.set(xv.subarray(src, src + ci), dst);
        else for (let c = 0; c < ci; c++) pv[dst + c] = xv[src + c]; // a subarray per few floats costs more
      }
    }
  }
}

/** dyT[o, r] = dy[start + r, o] for a chunk of `rows` output pixels with `co` channels. */
function fillTransposed(dy: Float32Array, dyT: Float32Array, start: number, rows: number, co: number): void {
  for (let r = 0; r < rows; r++) {
    const src = (start + r) * co;
    for (let o = 0; o < co; o++) dyT[o * rows + r] = dy[src + o];
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
