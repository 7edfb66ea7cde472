import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, denseConvInfo, type ConvGeometryAttrs } from './conv_info';
import { providedHeapKernels, type Im2colConvExports } from './heap_provider';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend, heapOffset } from './wasm_tensors';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Dense convolutions with few input channels, and strided ones with up to 128 (forward, FusedConv2D with a bias, both
 * gradients; NHWC float32), by a registered provider's im2col kernels (heap_provider.ts `im2colConv`:
 * @nextnets/backend-native gathers the patches of a block of output pixels and runs one GEMM of depth FH·FW·CI per
 * block). The per-tap GEMMs of shifted_conv.ts have depth CI (3 to 48 on EfficientNetV2's stem and first three
 * stages), too shallow to run the GEMM near its speed; strided layers below 32 channels fell back to XNNPACK or a
 * JavaScript im2col, wider ones split x into stride phases first. Taken in front of those routes when `im2colPays`;
 * everything else, and every backend without the provider's group (the browser, no addon), keeps the kernel
 * registered before.
 */

/**
 * Input channels from which stride-1 convolutions keep the other routes. Measured at 224² batch 16 (kernel ms, other
 * route → im2col, medians of 7-9 interleaved calls, kernel-history.md change 36): every EfficientNetV2-B0 3×3 layer
 * (3 to 48 input channels) gains in at least two of its three kernels and loses in none by more than the noise;
 * 64 → 64 at 56² was even to slightly better, 96 → 96 at 28² even (12-16 ms either way).
 */
export const IM2COL_MAX_IN_CHANNELS = 64;

/**
 * Input channels up to which strided convolutions take im2col: their other routes split x into stride phases (or
 * run XNNPACK), and im2col won on every kernel up to 128 channels (64 → 128 at 56²: 21.5 → 11.5, 25.5 → 14.1,
 * 18.1 → 11.4 ms; 96 → 192: 34.0 → 25.9, 50.1 → 34.5, 33.7 → 25.0; 128 → 256 at 28²: 14.6 → 12.0, 18.1 → 16.1,
 * 15.8 → 12.0); at 256 → 512 (14²) the input gradient lost (15.2 → 17.6).
 */
export const IM2COL_MAX_STRIDED_IN_CHANNELS = 128;

/**
 * True when the im2col kernels beat the other routes: a filter larger than 1×1 over fewer than 64 input channels, or
 * at most 128 when strided, except the filter gradient of a stride-1 convolution with at most 16 output channels,
 * where the GEMM's 16-column product (dW [K, 16]) is no faster than the per-tap ones (32 → 16 at 112² ×16: 24.5 →
 * 25.9 ms, 16 → 16: 12.4 → 12.7).
 */
export function im2colPays(info: backend_util.Conv2DInfo, kernel: 'forward' | 'input' | 'filter'): boolean {
  if (info.filterHeight * info.filterWidth === 1) return false;
  const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
  if (info.inChannels >= IM2COL_MAX_IN_CHANNELS && (stride1 || info.inChannels > IM2COL_MAX_STRIDED_IN_CHANNELS)) return false;
  return !(kernel === 'filter' && stride1 && info.outChannels <= 16);
}

/** The 15 geometry numbers of `Im2colConvExports`: the depthwise kernels' 14, then CO. */
export function im2colGeometry(info: backend_util.Conv2DInfo): number[] {
  return [...convGeometry(info), info.outChannels];
}

/** The provider's im2col kernels when they serve this convolution, else null. */
function im2colFor(
  backend: BackendWasm,
  kernel: 'forward' | 'input' | 'filter',
  info: backend_util.Conv2DInfo,
  tensors: TensorInfo[],
  shapes: number[][],
): Im2colConvExports | null {
  if (info.dataFormat !== 'channelsLast' || !im2colPays(info, kernel)) return null;
  if (!tensors.every((t) => t.dtype === 'float32') || !shapes.flat().every((d) => d > 0)) return null;
  return providedHeapKernels(backend)?.im2colConv ?? null;
}

/** Conv2D, and FusedConv2D with a bias of CO values (or none) and no activation. */
function forward(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined> & { x: TensorInfo; filter: TensorInfo };
    const activation = (args.attrs as { activation?: string }).activation ?? 'linear';
    if (activation !== 'linear' || preluActivationWeights != null) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const info = denseConvInfo(x.shape, filter.shape, args.attrs as unknown as ConvGeometryAttrs);
    if (bias != null && bias.shape.reduce((p, d) => p * d, 1) !== info.outChannels) return fallback(args);
    const kernels = im2colFor(backend, 'forward', info, bias != null ? [x, filter, bias] : [x, filter], [x.shape, filter.shape]);
    if (kernels == null) return fallback(args);
    // Allocate before taking heap offsets: an allocation can grow (and move the views of) the heap.
    const out = backend.makeOutput(info.outShape, 'float32');
    const biasPtr = bias != null ? heapOffset(backend, bias) : 0;
    kernels.forward(im2colGeometry(info), heapOffset(backend, x), heapOffset(backend, filter), biasPtr, heapOffset(backend, out));
    return out;
  };
}

function backpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs & ConvGeometryAttrs;
    const backend = asWasmBackend(args.backend);
    const info = denseConvInfo(attrs.inputShape, filter.shape, attrs);
    const kernels = im2colFor(backend, 'input', info, [dy, filter], [attrs.inputShape, dy.shape, filter.shape]);
    if (kernels == null) return fallback(args);
    const dx = backend.makeOutput(info.inShape, 'float32');
    kernels.backpropInput(im2colGeometry(info), heapOffset(backend, dy), heapOffset(backend, filter), heapOffset(backend, dx));
    return dx;
  };
}

function backpropFilter(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    // tfjs' attrs carry no dilations for this kernel; an optional `dilations` is honoured when given
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs & ConvGeometryAttrs;
    const backend = asWasmBackend(args.backend);
    const info = denseConvInfo(x.shape, attrs.filterShape, attrs);
    const kernels = im2colFor(backend, 'filter', info, [x, dy], [x.shape, dy.shape, attrs.filterShape]);
    if (kernels == null) return fallback(args);
    const dW = backend.makeOutput(info.filterShape, 'float32');
    kernels.backpropFilter(im2colGeometry(info), heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dW));
    return dW;
  };
}

const wrappers = new WasmKernelWrappers([
  [Conv2D, forward],
  [FusedConv2D, forward],
  [Conv2DBackpropInput, backpropInput],
  [Conv2DBackpropFilter, backpropFilter],
]);

/** Configs putting the im2col route in front of the current wasm (fused) Conv2D and its gradients; empty if already applied. */
export function im2colConvConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is one of these wrappers. */
export function isIm2colConv(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
