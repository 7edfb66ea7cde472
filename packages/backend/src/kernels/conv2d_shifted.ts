import { Conv2D, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { denseConvInfo, type ConvGeometryAttrs } from './conv_info';
import { providedHeapKernels } from './heap_provider';
import { WasmKernelWrappers } from './kernel_wrapper';
import { isShiftable } from './shift_grid';
import { shiftedConvForward } from './shifted_conv';
import { MIN_COVERAGE_FOR_XNNPACK, tapCoverage } from './tap_coverage';
import { asWasmBackend } from './wasm_tensors';

/**
 * Conv2D (stride 1, or any stride with 32+ input channels; NHWC float32, at least half the taps inside the input) as one heap GEMM per filter tap
 * (shifted_conv.ts) when the heap GEMM is a registered provider's (OpenBLAS): 1.6-1.9× faster than the stock XNNPACK
 * convolution on EfficientNetV2's 3×3 layers at 224² (our wasm GEMM gains only 10-25%, so without a provider the
 * stock kernel stays). Everything else, and 1×1 filters (taken earlier by patchify_conv.ts), keeps the kernel
 * registered before. Strided convolutions take the stride-phase grids only from 32 input channels on (each tap's GEMM
 * then has k ≥ 32): EfficientNetV2-B0's 3×3 stride-2 32 → 128 layer at 56², batch 8, 9-11 ms against XNNPACK's 17-19
 * (kernel time, alternated, a loaded 2-core host); with fewer channels XNNPACK stays (16 → 64 at 112²: no clear gain,
 * 14-20 ms either way; the 3 → 32 stem: 10 ms against 17-27).
 */
export const MIN_STRIDED_CHANNELS = 32;

function shiftedForward(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const backend = asWasmBackend(args.backend);
    const gemm = providedHeapKernels(backend);
    if (gemm == null || x.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args);
    if (![...x.shape, ...filter.shape].every((d) => d > 0)) return fallback(args);
    const info = denseConvInfo(x.shape, filter.shape, args.attrs as unknown as ConvGeometryAttrs);
    const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
    if (info.dataFormat !== 'channelsLast' || (!stride1 && info.inChannels < MIN_STRIDED_CHANNELS) || !isShiftable(info) || tapCoverage(info) < MIN_COVERAGE_FOR_XNNPACK) return fallback(args);
    return shiftedConvForward(backend, gemm, x, filter, info);
  };
}

const wrappers = new WasmKernelWrappers([[Conv2D, shiftedForward]]);

/** Config putting this route in front of the current wasm Conv2D; empty if already applied. */
export function shiftedConvConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is this wrapper. */
export function isShiftedConv(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
