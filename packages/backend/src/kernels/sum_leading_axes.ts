import { Mean, Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { REDUCE_WASM_BASE64 } from './generated/reduce-wasm';
import { heapModule } from './heap_module';
import { WasmKernelWrappers, type KernelWrap } from './kernel_wrapper';
import { asWasmBackend, floatView } from './wasm_tensors';

/**
 * Sum over the leading axes of a float32 tensor (every bias / LayerNorm-affine / layer-scale gradient: dy summed over
 * the batch and spatial rows) as one pass of column sums; likewise Sum and Mean over a run of middle axes (the
 * spatial axes of NHWC: squeeze-excitation's global average pool and its gate's gradient), as one pass of column sums
 * per batch entry. The stock wasm Sum and Mean reduce only innermost axes, so for these they first transpose the whole
 * tensor. Each column is summed in float64 and rounded once, by assembly/reduce.ts on the heap (wasm SIMD) or by the
 * scalar loop below (a Mean divides the rounded sum by the count). Other reductions use the stock kernels.
 */
function reduceRows(mean: boolean): KernelWrap {
  return (fallback) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    // a run of axes [first, first + n) that stops before the last axis: x is [outer, rows, cols], summed over rows
    const first = axes[0];
    const contiguous = axes.length > 0 && axes.every((a, i) => a === first + i) && axes[axes.length - 1] < rank - 1;
    if (!contiguous || x.dtype !== 'float32') return fallback(args);
    const backend = asWasmBackend(args.backend);
    const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
    const outer = size(x.shape.slice(0, first));
    const rows = size(x.shape.slice(first, first + axes.length));
    const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
    const out = backend.makeOutput(outShape, 'float32');
    const sums = floatView(backend, out);
    const xv = floatView(backend, x);
    const cols = outer === 0 ? 0 : sums.length / outer;
    const simd = heapModule<{ sumRows(x: number, out: number, rows: number, cols: number): void }>(backend, REDUCE_WASM_BASE64);
    for (let o = 0; o < outer && cols > 0; o++) {
      const xOff = o * rows * cols;
      if (simd != null) {
        simd.sumRows(xv.byteOffset + xOff * 4, sums.byteOffset + o * cols * 4, rows, cols);
        continue;
      }
      const acc = new Float64Array(cols);
      for (let off = xOff; off < xOff + rows * cols; off += cols) {
        for (let j = 0; j < cols; j++) acc[j] += xv[off + j];
      }
      sums.set(acc, o * cols);
    }
    // a mean over no rows is 0, as on the cpu backend
    if (mean && rows > 0) for (let i = 0; i < sums.length; i++) sums[i] /= rows;
    return out;
  };
}

const wrappers = new WasmKernelWrappers([
  [Sum, reduceRows(false)],
  [Mean, reduceRows(true)],
]);

/** Configs putting the row-sum paths in front of the current wasm Sum and Mean; empty if already applied. */
export function sumLeadingAxesConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is one of the row-sum wrappers. */
export function isSumLeadingAxes(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
