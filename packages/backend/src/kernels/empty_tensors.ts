import {
  AvgPool,
  AvgPoolGrad,
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedConv2D,
  FusedDepthwiseConv2D,
  getKernel,
  Max,
  MaxPool,
  Mean,
  MaxPoolGrad,
  Min,
  Prod,
  Sum,
  Transpose,
  _FusedMatMul,
  util,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, releaseScratch } from './wasm_tensors';

/**
 * Empty tensors (a dimension of 0) in front of the wasm kernels. tfjs-backend-wasm 4.22's XNNPACK convolutions and
 * pools clamp the output size to at least 1: a window larger than its padded input (a 2x2 stride-2 downsample of a
 * 1x1 map, which ConvNeXt reaches when the input is smaller than the network's total stride) gets a 0-byte output
 * allocation and a whole output row written into it, corrupting the emscripten heap; the crash ("memory access out
 * of bounds") surfaces later in malloc/free. Its Transpose divides by zero on empty shapes, and its reductions and
 * fused matmul return garbage for an empty reduction. These wrappers answer those cases the way tfjs-backend-cpu
 * does, without running the kernel: an empty result is an empty tensor; a non-empty result of an empty contraction is
 * zeros (Sum, matmul, convolution and pool gradients), cpu's value for the other reductions (Prod 1, Mean 0, Max
 * and Min NaN) or, for the fused ops, the kernel run on a length-1 zero contraction (so bias and activation still apply).
 */

type Guard = (args: Parameters<KernelFunc>[0], inner: KernelFunc) => TensorInfo | TensorInfo[] | null;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isEmpty(t: TensorInfo | undefined | null): boolean {
  return t != null && size(t.shape) === 0;
}

/** A tensor of `shape` filled with `value`, on the wasm heap. */
function filled(backend: unknown, shape: number[], dtype: DataType, value: number): TensorInfo {
  const wasm = asWasmBackend(backend);
  const out = wasm.makeOutput(shape, dtype);
  if (size(shape) > 0) wasm.typedArrayFromHeap(out).fill(value);
  return out;
}

/** Rejects a negative output dimension (tfjs-core computes one for a 'valid' window larger than its input). */
function checkShape(kernel: string, outShape: number[], inputs: Record<string, TensorInfo | undefined | null>): void {
  if (outShape.every((d) => d >= 0)) return;
  const shapes = Object.entries(inputs)
    .filter(([, t]) => t != null)
    .map(([name, t]) => `${name} [${(t as TensorInfo).shape}]`)
    .join(', ');
  throw new Error(`${kernel}: the window does not fit the input (${shapes}): output shape [${outShape}]`);
}

interface WindowAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  filterSize?: number | [number, number];
  inputShape?: number[];
  filterShape?: number[];
}

function convOutShape(x: TensorInfo, filterShape: number[], attrs: WindowAttrs, depthwise: boolean): number[] {
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC'),
  ).outShape;
}

/** Conv2D / DepthwiseConv2dNative and their fused forms. */
function convForward(kernel: string, depthwise: boolean, fused: boolean): Guard {
  return (args, inner) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as WindowAttrs;
    const outShape = convOutShape(x, filter.shape, attrs, depthwise);
    checkShape(kernel, outShape, args.inputs as Record<string, TensorInfo>);
    if (size(outShape) === 0) return filled(args.backend, outShape, x.dtype, 0);
    if (!isEmpty(x) && !isEmpty(filter)) return null;
    // Non-empty output from an empty contraction: zero input channels (a depthwise output would be empty too).
    if (!fused) return filled(args.backend, outShape, x.dtype, 0);
    const channelsLast = backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC') === 'channelsLast';
    const xShape = [...x.shape];
    xShape[channelsLast ? 3 : 1] = 1;
    const zx = filled(args.backend, xShape, 'float32', 0);
    const zw = filled(args.backend, [filter.shape[0], filter.shape[1], 1, filter.shape[3]], 'float32', 0);
    try {
      return inner({ ...args, inputs: { ...args.inputs, x: zx, filter: zw } });
    } finally {
      releaseScratch(asWasmBackend(args.backend), zx, zw);
    }
  };
}

/** MaxPool / AvgPool. */
function poolForward(kernel: string): Guard {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as unknown as WindowAttrs;
    const info = backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize as number | [number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    checkShape(kernel, info.outShape, { x });
    return size(info.outShape) === 0 || isEmpty(x) ? filled(args.backend, info.outShape, x.dtype, 0) : null;
  };
}

/** Gradients of windowed ops: an empty result is empty; a result gathered from no element at all is zeros. */
function windowGradient(outShapeOf: (args: Parameters<KernelFunc>[0]) => number[]): Guard {
  return (args) => {
    const inputs = Object.values(args.inputs) as TensorInfo[];
    const outShape = outShapeOf(args);
    if (size(outShape) !== 0 && !inputs.some(isEmpty)) return null;
    return filled(args.backend, outShape, 'float32', 0);
  };
}

/** BatchMatMul / _FusedMatMul. */
function matMul(fused: boolean): Guard {
  return (args, inner) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const outShape = [...batch, m, n];
    if (size(outShape) === 0) return filled(args.backend, outShape, a.dtype, 0);
    if (k !== 0) return null;
    if (!fused) return filled(args.backend, outShape, a.dtype, 0);
    const za = filled(args.backend, [...a.shape.slice(0, -2), m, 1], 'float32', 0);
    const zb = filled(args.backend, [...b.shape.slice(0, -2), 1, n], 'float32', 0);
    try {
      return inner({ ...args, inputs: { ...args.inputs, a: za, b: zb }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      releaseScratch(asWasmBackend(args.backend), za, zb);
    }
  };
}

/**
 * Reductions of an empty input, in the reduced shape, as tfjs-backend-cpu computes them: Sum 0, Prod 1, Mean 0 (it
 * sums x/n), Max and Min NaN.
 */
function reduction(identity: number, boolTo?: DataType): Guard {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!isEmpty(x)) return null;
    // Sum / Prod name the axes `axis`, Max / Min `reductionIndices`.
    const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
    const axes = util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape);
    const keepDims = attrs.keepDims;
    const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
    const dtype: DataType = x.dtype === 'bool' && boolTo ? boolTo : x.dtype;
    return filled(args.backend, outShape, dtype, identity);
  };
}

function transpose(): Guard {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!isEmpty(x)) return null;
    const { perm } = args.attrs as { perm: number[] };
    return filled(args.backend, perm.map((p) => x.shape[p]), x.dtype, 0);
  };
}

const attrShape = (key: 'inputShape' | 'filterShape') => (args: Parameters<KernelFunc>[0]) =>
  (args.attrs as NamedAttrMap)[key] as number[];
const inputShapeOf = (name: string) => (args: Parameters<KernelFunc>[0]) =>
  (args.inputs as Record<string, TensorInfo>)[name].shape;

const GUARDS: ReadonlyArray<[string, Guard]> = [
  [Conv2D, convForward(Conv2D, false, false)],
  [FusedConv2D, convForward(FusedConv2D, false, true)],
  [DepthwiseConv2dNative, convForward(DepthwiseConv2dNative, true, false)],
  [FusedDepthwiseConv2D, convForward(FusedDepthwiseConv2D, true, true)],
  [MaxPool, poolForward(MaxPool)],
  [AvgPool, poolForward(AvgPool)],
  [Conv2DBackpropInput, windowGradient(attrShape('inputShape'))],
  [Conv2DBackpropFilter, windowGradient(attrShape('filterShape'))],
  [DepthwiseConv2dNativeBackpropInput, windowGradient(attrShape('inputShape'))],
  [DepthwiseConv2dNativeBackpropFilter, windowGradient(attrShape('filterShape'))],
  [MaxPoolGrad, windowGradient(inputShapeOf('input'))],
  [AvgPoolGrad, windowGradient(inputShapeOf('input'))],
  [BatchMatMul, matMul(false)],
  [_FusedMatMul, matMul(true)],
  [Sum, reduction(0, 'int32')],
  [Prod, reduction(1, 'int32')],
  [Mean, reduction(0)],
  [Max, reduction(NaN)],
  [Min, reduction(NaN)],
  [Transpose, transpose()],
];

/** Names of the wasm kernels that get an empty-tensor guard. */
export const EMPTY_TENSOR_GUARDED_KERNELS: readonly string[] = GUARDS.map(([name]) => name);

const guarded = new WeakSet<KernelFunc>();
const guardedNames = new Set<string>();

/**
 * Configs putting the guards in front of the currently registered wasm kernels (which keep their setup functions and
 * run every non-empty case). Each kernel is guarded once: later wrappers (the fast path) are built on top of the guard.
 */
export function emptyTensorGuardConfigs(): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const [name, guard] of GUARDS) {
    const current = getKernel(name, 'wasm');
    if (current == null || guarded.has(current.kernelFunc) || guardedNames.has(name)) continue;
    const inner = current.kernelFunc;
    const kernelFunc: KernelFunc = (args) => guard(args, inner) ?? inner(args);
    guarded.add(kernelFunc);
    guardedNames.add(name);
    configs.push({ kernelName: name, backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc });
  }
  return configs;
}

/** True when the kernel function is one of these guards. */
export function isEmptyTensorGuard(kernelFunc: KernelFunc): boolean {
  return guarded.has(kernelFunc);
}
