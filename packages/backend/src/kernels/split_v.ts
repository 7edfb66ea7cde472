import { backend_util, SplitV, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { copyRows, heapValues, rowsAndWidth } from './row_copy';
import { asWasmBackend } from './wasm_tensors';

/**
 * SplitV as one strided row copy per piece (row_copy.ts); strings go to the kernel registered before.
 */
function splitV(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    if (x.dtype === 'string' || x.dtype === 'complex64') return fallback(args);
    const backend = asWasmBackend(args.backend);
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const inner = util.sizeFromShape(x.shape.slice($axis + 1));
    const [rows, width] = rowsAndWidth(x.shape, $axis);
    const outputs = sizes.map((size) => backend.makeOutput(x.shape.map((d, i) => (i === $axis ? size : d)), x.dtype));
    // views after every allocation: an allocation can grow the heap and detach earlier views
    const xValues = heapValues(backend, x);
    let start = 0;
    for (const [i, out] of outputs.entries()) {
      const pieceWidth = sizes[i] * inner;
      copyRows(backend, xValues, start, width, heapValues(backend, out), 0, pieceWidth, rows, pieceWidth);
      start += pieceWidth;
    }
    return outputs;
  };
}

const wrappers = new WasmKernelWrappers([[SplitV, splitV]]);

/** Config putting this SplitV in front of the stock one; empty if already applied. */
export function splitVConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is this SplitV. */
export function isRowCopySplitV(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
