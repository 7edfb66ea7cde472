import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropInput,
  getKernel,
  PadV2,
  Slice,
  Transpose,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { denseConvInfo, type ConvGeometryAttrs } from './conv_info';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend } from './wasm_tensors';

/**
 * "Patchify" convolutions (stride = kernel, no padding, no dilation: the ConvNeXt stem and downsample layers) as one
 * transpose and one matmul instead of the stock kernels. The windows do not overlap and tile the input's first
 * oh·KH rows and ow·KW columns, so with that part of x viewed as [n·oh, KH, ow, KW·cin] and its two middle axes
 * swapped, each row of P[n·oh·ow, (kh, kw, cin)] is one window, and conv(x, W) = P·W with W viewed as
 * [(kh, kw, cin), cout]. The input gradient is the same in reverse: P = dy·Wᵀ, then the swap back. When the input has
 * rows or columns no window reaches (a 7×7 map under a 2×2 stride-2 downsample), the forward first slices them off
 * and the input gradient pads them back as zeros: the stock wasm Conv2DBackpropInput, which these shapes used to
 * reach, is ~10× slower. Other convolutions use the kernels registered before.
 */

/** The convolution's geometry when it is a patchify convolution of float32 tensors (edges no window reaches allowed), else null. */
function patchifyInfo(inputShape: number[], filter: TensorInfo, other: TensorInfo, attrs: ConvGeometryAttrs): backend_util.Conv2DInfo | null {
  const [kh, kw] = filter.shape;
  const info = denseConvInfo(inputShape, filter.shape, attrs);
  const { top, bottom, left, right } = info.padInfo;
  const patchify =
    info.dataFormat === 'channelsLast' &&
    info.strideHeight === kh &&
    info.strideWidth === kw &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    top + bottom + left + right === 0 &&
    filter.dtype === 'float32' &&
    other.dtype === 'float32';
  return patchify ? info : null;
}

/** A shape-only view of a tensor (same data, no reference taken: never disposed). */
function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: 'float32' };
}

/** [n, oh·KH, ow·KW, cin]: the part of the input that the windows cover. */
function coveredShape(info: backend_util.Conv2DInfo): number[] {
  return [info.batchSize, info.outHeight * info.filterHeight, info.outWidth * info.filterWidth, info.inChannels];
}

/** True when some input rows or columns lie outside every window. */
function hasUncovered(inputShape: number[], info: backend_util.Conv2DInfo): boolean {
  const covered = coveredShape(info);
  return inputShape[1] !== covered[1] || inputShape[2] !== covered[2];
}

/**
 * False when swapping the window axes moves nothing (one filter row, e.g. every 1×1 convolution, or one output
 * column): the stock Transpose would then copy the whole tensor, so the views are used as they are.
 */
function swapsAxes(info: backend_util.Conv2DInfo): boolean {
  return info.filterHeight > 1 && info.outWidth > 1;
}

/** y = P·W: the windows of x gathered into rows by one transpose (after slicing off uncovered rows/columns), then one matmul. */
function patchifyForward(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const info = patchifyInfo(x.shape, filter, x, args.attrs as unknown as ConvGeometryAttrs);
    const matMul = getKernel(BatchMatMul, 'wasm');
    const transpose = getKernel(Transpose, 'wasm');
    const slice = getKernel(Slice, 'wasm');
    const [kh, kw, cin, cout] = filter.shape;
    const rows = info ? info.batchSize * info.outHeight * info.outWidth : 0;
    if (info == null || matMul == null || transpose == null || slice == null || rows === 0 || cin === 0) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const covered = hasUncovered(x.shape, info)
      ? (slice.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { begin: [0, 0, 0, 0], size: coveredShape(info) } }) as TensorInfo)
      : x;
    const patches = swapsAxes(info)
      ? (transpose.kernelFunc({
          inputs: { x: view(covered, [info.batchSize * info.outHeight, kh, info.outWidth, kw * cin]) },
          backend: args.backend,
          attrs: { perm: [0, 2, 1, 3] },
        }) as TensorInfo)
      : covered;
    if (covered !== x && covered !== patches) backend.disposeData(covered.dataId);
    const y = matMul.kernelFunc({
      inputs: { a: view(patches, [1, rows, kh * kw * cin]), b: view(filter, [1, kh * kw * cin, cout]) },
      backend: args.backend,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
    if (patches !== x) backend.disposeData(patches.dataId);
    y.shape = [...info.outShape];
    return y;
  };
}

/** dx = (dy·Wᵀ) with the window axes swapped back (and zeros for the uncovered rows/columns). */
function patchifyBackpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    // Conv2DBackpropInputAttrs has no dilations (the op always passes 1); read them defensively all the same.
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs & ConvGeometryAttrs;
    const info = patchifyInfo(attrs.inputShape, filter, dy, attrs);
    const matMul = getKernel(BatchMatMul, 'wasm');
    const transpose = getKernel(Transpose, 'wasm');
    const pad = getKernel(PadV2, 'wasm');
    if (info == null || matMul == null || transpose == null || pad == null) return fallback(args);
    const [kh, kw, cin, cout] = filter.shape;
    const backend = asWasmBackend(args.backend);
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const patches = matMul.kernelFunc({
      inputs: { a: view(dy, [1, rows, cout]), b: view(filter, [1, kh * kw * cin, cout]) },
      backend: args.backend,
      attrs: { transposeA: false, transposeB: true },
    }) as TensorInfo;
    let dx = patches;
    if (swapsAxes(info)) {
      dx = transpose.kernelFunc({
        inputs: { x: view(patches, [info.batchSize * info.outHeight, info.outWidth, kh, kw * cin]) },
        backend: args.backend,
        attrs: { perm: [0, 2, 1, 3] },
      }) as TensorInfo;
      backend.disposeData(patches.dataId);
    }
    if (!hasUncovered(attrs.inputShape, info)) {
      dx.shape = [...attrs.inputShape];
      return dx;
    }
    dx.shape = coveredShape(info);
    const [, h, w] = attrs.inputShape;
    const paddings = [[0, 0], [0, h - dx.shape[1]], [0, w - dx.shape[2]], [0, 0]];
    const padded = pad.kernelFunc({ inputs: { x: dx }, backend: args.backend, attrs: { paddings, constantValue: 0 } }) as TensorInfo;
    backend.disposeData(dx.dataId);
    return padded;
  };
}

const wrappers = new WasmKernelWrappers([
  [Conv2D, patchifyForward],
  [Conv2DBackpropInput, patchifyBackpropInput],
]);

/** Configs putting the patchify paths in front of the current wasm Conv2D / Conv2DBackpropInput; empty if already applied. */
export function patchifyConvConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is one of the patchify wrappers. */
export function isPatchifyConv(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
