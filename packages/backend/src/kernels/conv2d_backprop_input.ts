import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2D,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { denseConvInfo, type ConvGeometryAttrs } from './conv_info';
import { correlationInput } from './flipped_correlation';
import { heapGemm } from './heap_gemm';
import { providedHeapKernels, type GemmExports } from './heap_provider';
import { shiftedConvInputGradient } from './shifted_conv';
import { MIN_COVERAGE_FOR_XNNPACK, tapCoverage } from './tap_coverage';
import { asWasmBackend, floatView, heapOffset, releaseScratch, runStockKernel, scratchTensor, zeroedOutput } from './wasm_tensors';

/**
 * Input gradient of a dense NHWC float32 convolution (patchify convolutions are taken earlier by `patchify_conv.ts`;
 * anything else keeps the kernel registered before, the stock wasm loop, ~4× slower than `Conv2D` on RepVGG's 3×3
 * layers: 958 against 242 ms per RepVGG-A0 training step at 32² batch 64). Two routes, chosen like the depthwise
 * gradients (`tap_coverage.ts`):
 * - stride 1 with at least half the (pixel, tap) pairs inside the input: one forward convolution by the stock
 *   (XNNPACK) `Conv2D`. dx[ih] = Σ over (oh, fh) with oh + fh·d − padTop = ih of dy[oh]·W[fh]ᵀ is the correlation of
 *   dy with the filter flipped in both spatial axes and its in/out channels swapped, at dilation d, with
 *   (FH − 1)·d − padTop rows of zeros on top (columns likewise) and as many at the bottom as make the output inH tall.
 *   With a provider's heap GEMM (OpenBLAS) instead: one GEMM per filter tap on the padded grid of shift_grid.ts
 *   (shifted_conv.ts), 2.7-3.6× faster than the flipped XNNPACK convolution on EfficientNetV2's 3×3 layers at 224².
 *   (Strided, on the stride-phase grids, it was 2-2.5× slower than the GEMM + col2im below: 40 → 89-108 ms for
 *   EfficientNetV2's 3×3 stride-2 16 → 64 layer at 112².)
 * - otherwise (strides, small maps where most taps fall in the padding): P = dy·Wᵀ by the heap GEMM (one row of
 *   FH·FW·CI values per output pixel), then each row's taps that land inside the input are added into dx (col2im).
 *   A forward convolution would multiply the stride's inserted zeros and the padding.
 */

function fastBackpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs & ConvGeometryAttrs;
    const info = denseConvInfo(attrs.inputShape, filter.shape, attrs);
    const usable =
      info.dataFormat === 'channelsLast' &&
      dy.dtype === 'float32' &&
      filter.dtype === 'float32' &&
      [...attrs.inputShape, ...dy.shape, ...filter.shape].every((d) => d > 0);
    if (!usable) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const [fhN, fwN] = filter.shape;
    const flippedFits = info.padInfo.top <= (fhN - 1) * info.dilationHeight && info.padInfo.left <= (fwN - 1) * info.dilationWidth;
    const dense = info.strideHeight === 1 && info.strideWidth === 1 && tapCoverage(info) >= MIN_COVERAGE_FOR_XNNPACK;
    const provided = providedHeapKernels(backend);
    if (provided && dense) return shiftedConvInputGradient(backend, provided, dy, filter, info);
    const gemm = heapGemm(backend);
    if (gemm && !(dense && flippedFits)) return gemmCol2im(backend, gemm, dy, filter, info);
    return flippedFits ? flippedConv(backend, dy, filter, info) : fallback(args);
  };
}

/** dx as one stock forward convolution of (upsampled) dy with the flipped, channel-swapped filter. */
function flippedConv(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [fhN, fwN, ci, co] = filter.shape;
  const flipped = scratchTensor(backend, [fhN, fwN, co, ci]);
  flipFilter(floatView(backend, filter), floatView(backend, flipped), fhN, fwN, ci, co);
  const input = correlationInput(backend, dy, info);
  const dx = runStockKernel(
    backend,
    Conv2D,
    { x: input.x, filter: flipped },
    { strides: 1, dilations: [info.dilationHeight, info.dilationWidth], pad: input.pad, dataFormat: 'NHWC' },
  );
  releaseScratch(backend, flipped, ...(input.copied ? [input.x] : []));
  return dx;
}

/** Output-pixel rows of P per GEMM call: ~1M floats of P at a time, whatever the batch. */
const P_FLOATS_PER_CHUNK = 1 << 20;

/** dx by P = dy·Wᵀ (heap GEMM, a·bᵀ: W [FH·FW·CI, CO] row-major) and col2im, chunk by chunk over output pixels. */
function gemmCol2im(
  backend: BackendWasm,
  gemm: GemmExports,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const [fhN, fwN, ci, co] = filter.shape;
  const k = fhN * fwN * ci;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const chunkRows = Math.max(1, Math.min(pixels, Math.floor(P_FLOATS_PER_CHUNK / k)));
  const out = zeroedOutput(backend, info.inShape, 'float32');
  const patches = scratchTensor(backend, [chunkRows, k]);
  for (let start = 0; start < pixels; start += chunkRows) {
    const rows = Math.min(chunkRows, pixels - start);
    gemm.gemmNT(heapOffset(backend, dy) + start * co * 4, heapOffset(backend, filter), heapOffset(backend, patches), 0, rows, k, co, 0);
    col2im(floatView(backend, patches), floatView(backend, out), info, start, rows);
  }
  releaseScratch(backend, patches);
  return out;
}

/** Adds rows [start, start + rows) of P (one output pixel each, taps in (fh, fw, ci) order) into dx where inside. */
function col2im(p: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo, start: number, rows: number): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  for (let r = 0; r < rows; r++) {
    const pixel = start + r;
    const ow = pixel % outWidth;
    const oh = Math.floor(pixel / outWidth) % outHeight;
    const b = Math.floor(pixel / (outWidth * outHeight));
    for (let fh = 0; fh < filterHeight; fh++) {
      const ih = oh * sh + fh * dh - top;
      if (ih < 0 || ih >= inHeight) continue;
      for (let fw = 0; fw < filterWidth; fw++) {
        const iw = ow * sw + fw * dw - left;
        if (iw < 0 || iw >= inWidth) continue;
        const src = (r * filterHeight * filterWidth + fh * filterWidth + fw) * ci;
        const dst = ((b * inHeight + ih) * inWidth + iw) * ci;
        for (let c = 0; c < ci; c++) dx[dst + c] += p[src + c];
      }
    }
  }
}

/** W'[FH−1−fh, FW−1−fw, o, i] = W[fh, fw, i, o]. */
function flipFilter(w: Float32Array, out: Float32Array, fhN: number, fwN: number, ci: number, co: number): void {
  for (let fh = 0; fh < fhN; fh++) {
    for (let fw = 0; fw < fwN; fw++) {
      const src = (fh * fwN + fw) * ci * co;
      const dst = ((fhN - 1 - fh) * fwN + (fwN - 1 - fw)) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) out[dst + o * ci + i] = w[src + i * co + o];
      }
    }
  }
}

const wrappers = new WasmKernelWrappers([[Conv2DBackpropInput, fastBackpropInput]]);

/** Config putting these routes in front of the current wasm Conv2DBackpropInput; empty if already applied. */
export function conv2DBackpropInputConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is this wrapper. */
export function isFastConvBackpropInput(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
