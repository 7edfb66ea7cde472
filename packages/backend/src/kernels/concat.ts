import { backend_util, Concat, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { copyRows, heapValues, rowsAndWidth } from './row_copy';
import { asWasmBackend } from './wasm_tensors';

/**
 * Concat as one strided row copy per input (row_copy.ts); strings, mixed dtypes and a single non-empty input go to
 * the kernel registered before.
 */
function concat(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const dtype = inputs[0]?.dtype;
    if (dtype == null || dtype === 'string' || dtype === 'complex64' || inputs.some((t) => t.dtype !== dtype)) return fallback(args);
    const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2) return fallback(args);
    const axis = util.parseAxisParam((args.attrs as unknown as { axis: number | number[] }).axis, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, axis);
    const backend = asWasmBackend(args.backend);
    const outShape = backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, dtype);
    const outValues = heapValues(backend, out);
    const [rows, outWidth] = rowsAndWidth(outShape, axis);
    let start = 0;
    for (const t of nonEmpty) {
      const width = rowsAndWidth(t.shape, axis)[1];
      copyRows(backend, heapValues(backend, t), 0, width, outValues, start, outWidth, rows, width);
      start += width;
    }
    return out;
  };
}

const wrappers = new WasmKernelWrappers([[Concat, concat]]);

/** Config putting this Concat in front of the stock one; empty if already applied. */
export function concatConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is this Concat. */
export function isRowCopyConcat(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
