import { Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { REDUCE_WASM_BASE64 } from './generated/reduce-wasm';
import { heapModule } from './heap_module';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend, floatView } from './wasm_tensors';

/**
 * Sum over the leading axes of a float32 tensor (every bias / LayerNorm-affine / layer-scale gradient: dy summed over
 * the batch and spatial rows), or over a contiguous run of middle axes (ConvNeXt V2's GRN: x² summed over the spatial
 * axes of each image), as one pass of column sums per outer index. The stock wasm Sum reduces only innermost axes, so
 * for these it first transposes the whole tensor. Each column is summed in float64 and rounded once, by
 * assembly/reduce.ts on the heap (wasm SIMD) or by the scalar loop below. Other reductions use the stock kernel.
 */
function sumLeadingAxes(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    // one run of consecutive axes that leaves the innermost axis: [outer, rows, cols] with the rows summed
    const run = axes.length > 0 && last < rank - 1 && axes.every((a, i) => a === first + i);
    if (!run || x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return fallback(args);
    const backend = asWasmBackend(args.backend);
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const rows = util.sizeFromShape(x.shape.slice(first, last + 1));
    const cols = util.sizeFromShape(x.shape.slice(last + 1));
    const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
    const out = backend.makeOutput(outShape, 'float32');
    const sums = floatView(backend, out);
    const xv = floatView(backend, x);
    const simd = heapModule<{ sumRows(x: number, out: number, rows: number, cols: number): void }>(backend, REDUCE_WASM_BASE64);
    for (let o = 0; o < outer; o++) {
      if (simd != null) {
        simd.sumRows(xv.byteOffset + 4 * o * rows * cols, sums.byteOffset + 4 * o * cols, rows, cols);
        continue;
      }
      const acc = new Float64Array(cols);
      for (let off = o * rows * cols, end = off + rows * cols; off < end; off += cols) {
        for (let j = 0; j < cols; j++) acc[j] += xv[off + j];
      }
      sums.set(acc, o * cols);
    }
    return out;
  };
}

const wrappers = new WasmKernelWrappers([[Sum, sumLeadingAxes]]);

/** A config putting the leading/middle-axes path in front of the current wasm Sum; empty if already applied. */
export function sumLeadingAxesConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is the leading/middle-axes wrapper. */
export function isSumLeadingAxes(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
