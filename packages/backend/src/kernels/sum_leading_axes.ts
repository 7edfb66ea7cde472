import { Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { REDUCE_WASM_BASE64 } from './generated/reduce-wasm';
import { heapModule } from './heap_module';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend, floatView } from './wasm_tensors';

/**
 * Sum over the leading axes of a float32 tensor (every bias / LayerNorm-affine / layer-scale gradient: dy summed over
 * the batch and spatial rows) as one pass of column sums. The stock wasm Sum reduces only innermost axes, so for
 * these it first transposes the whole tensor. Each column is summed in float64 and rounded once, by assembly/reduce.ts
 * on the heap (wasm SIMD) or by the scalar loop below. Other reductions use the stock kernel.
 */
function sumLeadingAxes(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return fallback(args);
    const backend = asWasmBackend(args.backend);
    const keptShape = x.shape.slice(axes.length);
    const outShape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
    const out = backend.makeOutput(outShape, 'float32');
    const sums = floatView(backend, out);
    const xv = floatView(backend, x);
    const cols = sums.length;
    const simd = heapModule<{ sumRows(x: number, out: number, rows: number, cols: number): void }>(backend, REDUCE_WASM_BASE64);
    if (simd != null) {
      simd.sumRows(xv.byteOffset, sums.byteOffset, xv.length / cols, cols);
      return out;
    }
    const acc = new Float64Array(cols);
    for (let off = 0; off < xv.length; off += cols) {
      for (let j = 0; j < cols; j++) acc[j] += xv[off + j];
    }
    sums.set(acc);
    return out;
  };
}

const wrappers = new WasmKernelWrappers([[Sum, sumLeadingAxes]]);

/** A config putting the leading-axes path in front of the current wasm Sum; empty if already applied. */
export function sumLeadingAxesConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is the leading-axes wrapper. */
export function isSumLeadingAxes(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
