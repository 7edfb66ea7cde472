import {
  backend_util,
  Concat,
  SplitV,
  util,
  type ConcatAttrs,
  type KernelConfig,
  type KernelFunc,
  type SplitVAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend, floatView } from './wasm_tensors';

/**
 * Split and concatenation along the innermost axis of float32 tensors (InceptionNeXt's channel split into identity and
 * depthwise branches and the concat back, forward and backward: NHWC channels) as row-by-row copies. The stock wasm
 * SplitV runs one generic strided Slice per part, ~20× slower on [8, 56, 56, 40]. Other axes and dtypes use the stock
 * kernels. Same values: both only move floats.
 */
function splitLastAxis(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const rank = x.shape.length;
    if (rank < 2 || x.dtype !== 'float32' || util.parseAxisParam(axis, x.shape)[0] !== rank - 1) return fallback(args);
    const c = x.shape[rank - 1];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, rank - 1);
    if (util.sizeFromShape(x.shape) === 0 || sizes.some((w) => w <= 0)) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const outs = sizes.map((w) => backend.makeOutput([...x.shape.slice(0, -1), w], 'float32'));
    // views after every allocation (an allocation may grow the heap and replace its buffer)
    const xv = floatView(backend, x);
    const rows = xv.length / c;
    let start = 0;
    outs.forEach((info, k) => {
      const w = sizes[k];
      const out = floatView(backend, info);
      for (let r = 0, src = start, dst = 0; r < rows; r++, src += c, dst += w) {
        for (let j = 0; j < w; j++) out[dst + j] = xv[src + j];
      }
      start += w;
    });
    return outs;
  };
}

function concatLastAxis(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const { axis } = args.attrs as unknown as ConcatAttrs;
    const first = inputs[0];
    const rank = first?.shape.length ?? 0;
    if (rank < 2 || util.parseAxisParam(axis, first.shape)[0] !== rank - 1) return fallback(args);
    const outer = first.shape.slice(0, -1);
    const ok = inputs.every((t) => t.dtype === 'float32' && t.shape.length === rank && t.shape.slice(0, -1).every((d, i) => d === outer[i]) && t.shape[rank - 1] > 0);
    if (!ok || util.sizeFromShape(outer) === 0) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const widths = inputs.map((t) => t.shape[rank - 1]);
    const c = widths.reduce((a, b) => a + b, 0);
    const info = backend.makeOutput([...outer, c], 'float32');
    const out = floatView(backend, info);
    const rows = util.sizeFromShape(outer);
    let start = 0;
    inputs.forEach((t, k) => {
      const w = widths[k];
      const xv = floatView(backend, t);
      for (let r = 0, src = 0, dst = start; r < rows; r++, src += w, dst += c) {
        for (let j = 0; j < w; j++) out[dst + j] = xv[src + j];
      }
      start += w;
    });
    return info;
  };
}

const wrappers = new WasmKernelWrappers([
  [SplitV, splitLastAxis],
  [Concat, concatLastAxis],
]);

/** Configs putting the innermost-axis split and concat in front of the current wasm kernels; empty if already applied. */
export function lastAxisSplitConcatConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is one of these wrappers. */
export function isLastAxisSplitConcat(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
