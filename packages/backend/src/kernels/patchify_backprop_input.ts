import {
  backend_util,
  BatchMatMul,
  Conv2DBackpropInput,
  getKernel,
  Transpose,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend } from './wasm_tensors';

/**
 * Input gradient of a "patchify" convolution (stride = kernel, no padding, no dilation: the ConvNeXt stem and
 * downsample layers) as one matmul and one transpose instead of the stock scalar loop. The windows do not overlap,
 * so dx restricted to one window is that output pixel's dy times Wᵀ:
 * P[n·oh·ow, (kh, kw, cin)] = dy[n·oh·ow, cout] · W[(kh, kw, cin), cout]ᵀ, and dx[n, oh·KH + kh, ow·KW + kw, cin] is
 * P viewed as [n·oh, ow, KH, KW·cin] with the two middle axes swapped. Other convolutions use the stock kernel.
 */
function patchifyBackpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    // Conv2DBackpropInputAttrs has no dilations (the op always passes 1); read them defensively all the same.
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs & { dilations?: number | [number, number] };
    const [kh, kw, cin, cout] = filter.shape;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const [n, h, w] = attrs.inputShape;
    const { top, bottom, left, right } = info.padInfo;
    const patchify =
      info.dataFormat === 'channelsLast' &&
      info.strideHeight === kh &&
      info.strideWidth === kw &&
      info.dilationHeight === 1 &&
      info.dilationWidth === 1 &&
      top + bottom + left + right === 0 &&
      h === info.outHeight * kh &&
      w === info.outWidth * kw &&
      dy.dtype === 'float32' &&
      filter.dtype === 'float32';
    const matMul = getKernel(BatchMatMul, 'wasm');
    const transpose = getKernel(Transpose, 'wasm');
    if (!patchify || matMul == null || transpose == null) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const rows = n * info.outHeight * info.outWidth;
    // Shape-only views of the inputs (same data, no reference taken: they are never disposed).
    const dyRows: TensorInfo = { dataId: dy.dataId, shape: [1, rows, cout], dtype: 'float32' };
    const wRows: TensorInfo = { dataId: filter.dataId, shape: [1, kh * kw * cin, cout], dtype: 'float32' };
    const patches = matMul.kernelFunc({
      inputs: { a: dyRows, b: wRows },
      backend: args.backend,
      attrs: { transposeA: false, transposeB: true },
    }) as TensorInfo;
    const view: TensorInfo = { dataId: patches.dataId, shape: [n * info.outHeight, info.outWidth, kh, kw * cin], dtype: 'float32' };
    const dx = transpose.kernelFunc({ inputs: { x: view }, backend: args.backend, attrs: { perm: [0, 2, 1, 3] } }) as TensorInfo;
    backend.disposeData(patches.dataId);
    dx.shape = [...attrs.inputShape];
    return dx;
  };
}

const wrappers = new WasmKernelWrappers([[Conv2DBackpropInput, patchifyBackpropInput]]);

/** A config putting the patchify path in front of the current wasm Conv2DBackpropInput; empty if already applied. */
export function patchifyBackpropInputConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is the patchify wrapper. */
export function isPatchifyBackpropInput(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
