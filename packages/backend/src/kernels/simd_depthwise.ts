import {
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedDepthwiseConv2D,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry } from './conv_info';
import { WasmKernelWrappers } from './kernel_wrapper';
import { providedHeapKernels, type DepthwiseExports } from './heap_provider';
import { simdModule, simdModuleSupported } from './simd_module';
import { asWasmBackend, heapOffset } from './wasm_tensors';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Depthwise convolution (forward and both gradients, NHWC, channel multiplier 1) by a registered provider's kernels
 * (heap_provider.ts) or else our own wasm SIMD kernels (assembly/simd.ts), run in place on the tfjs heap. Other cases (multiplier > 1, fused activations, NCHW, no wasm
 * SIMD in the engine) go to the kernel that was registered before.
 */

function setGeometry(mod: DepthwiseExports, info: backend_util.Conv2DInfo): void {
  mod.setGeometry(...convGeometry(info));
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
  activation?: string;
  inputShape?: number[];
  filterShape?: number[];
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/** True when the SIMD kernels handle this call: float32 NHWC, multiplier 1, no fused activation / PReLU. */
function supported(attrs: ConvAttrs, filterShape: number[], tensors: TensorInfo[]): boolean {
  const nhwc = attrs.dataFormat == null || attrs.dataFormat === 'NHWC';
  const linear = attrs.activation == null || attrs.activation === 'linear';
  return nhwc && linear && filterShape[3] === 1 && tensors.every((t) => t.dtype === 'float32');
}

/** The provider's depthwise kernels where it gives them, else ours. */
function depthwiseKernels(backend: BackendWasm): DepthwiseExports | null {
  return providedHeapKernels(backend)?.depthwise ?? simdModule(backend);
}

function forward(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = asWasmBackend(args.backend);
    const mod = depthwiseKernels(backend);
    const ok = mod && x && filter && preluActivationWeights == null && (bias == null || bias.shape.length === 1);
    if (!ok || !supported(attrs, filter.shape, [x, filter, ...(bias ? [bias] : [])])) return fallback(args);
    const info = convInfo(x.shape, filter.shape, attrs);
    const out = backend.makeOutput(info.outShape, 'float32');
    // offsets are taken after the output's allocation, which may grow the heap
    const op = heapOffset(backend, out);
    setGeometry(mod, info);
    mod.forward(heapOffset(backend, x), heapOffset(backend, filter), bias ? heapOffset(backend, bias) : 0, op);
    return out;
  };
}

function backpropInput(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = asWasmBackend(args.backend);
    const mod = depthwiseKernels(backend);
    if (!mod || attrs.inputShape == null || !supported(attrs, filter.shape, [dy, filter])) return fallback(args);
    const info = convInfo(attrs.inputShape, filter.shape, attrs);
    const out = backend.makeOutput(attrs.inputShape, 'float32');
    const op = heapOffset(backend, out);
    setGeometry(mod, info);
    mod.backpropInput(heapOffset(backend, dy), heapOffset(backend, filter), op);
    return out;
  };
}

function backpropFilter(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = asWasmBackend(args.backend);
    const mod = depthwiseKernels(backend);
    if (!mod || attrs.filterShape == null || !supported(attrs, attrs.filterShape, [x, dy])) return fallback(args);
    const info = convInfo(x.shape, attrs.filterShape, attrs);
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    const op = heapOffset(backend, out);
    setGeometry(mod, info);
    mod.backpropFilter(heapOffset(backend, x), heapOffset(backend, dy), op);
    return out;
  };
}

const wrappers = new WasmKernelWrappers([
  [DepthwiseConv2dNative, forward],
  [FusedDepthwiseConv2D, forward],
  [DepthwiseConv2dNativeBackpropInput, backpropInput],
  [DepthwiseConv2dNativeBackpropFilter, backpropFilter],
]);

/**
 * Configs that put the SIMD kernels in front of the currently registered wasm depthwise kernels (which stay the
 * fallback; their setup functions are kept). Empty when already applied or when the engine lacks wasm SIMD.
 */
export function simdDepthwiseConfigs(): KernelConfig[] {
  if (!simdModuleSupported()) return [];
  return wrappers.configs();
}

/** True when the kernel function is one of this module's SIMD wrappers. */
export function isSimdDepthwise(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
