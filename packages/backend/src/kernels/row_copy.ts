import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { ROWS_WASM_BASE64 } from './generated/rows-wasm';
import { heapModule } from './heap_module';

/** The heap views of float32, int32 and bool tensors. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

interface RowsExports {
  copyRows(src: number, srcStride: number, dst: number, dstStride: number, rows: number, width: number): void;
}

/**
 * Copies `rows` rows of `width` values from `src` (rows `srcStride` apart, starting at `srcStart`) to `dst` (rows
 * `dstStride` apart, from `dstStart`); both are views of the same heap. A split or concatenation along any axis is this
 * copy on the tensors viewed as [outer, axis × inner] matrices. The stock wasm kernels make one subarray per row,
 * which costs far more than the copy for rows of a few channels (InceptionNeXt splits 5-channel groups off 56×56
 * maps); here each row is one memory.copy inside wasm (assembly/rows.ts), or an element loop where that module
 * cannot run.
 */
export function copyRows(
  backend: BackendWasm,
  src: HeapArray, srcStart: number, srcStride: number,
  dst: HeapArray, dstStart: number, dstStride: number,
  rows: number, width: number,
): void {
  const mod = heapModule<RowsExports>(backend, ROWS_WASM_BASE64);
  if (mod) {
    const bytes = src.BYTES_PER_ELEMENT;
    mod.copyRows(src.byteOffset + srcStart * bytes, srcStride * bytes, dst.byteOffset + dstStart * bytes, dstStride * bytes, rows, width * bytes);
    return;
  }
  for (let r = 0; r < rows; r++) {
    let s = srcStart + r * srcStride;
    let d = dstStart + r * dstStride;
    const end = s + width;
    while (s < end) dst[d++] = src[s++];
  }
}

/** The tensor's values on the wasm heap (a view, no copy): float32, int32 and bool tensors. */
export function heapValues(backend: BackendWasm, t: TensorInfo): HeapArray {
  return backend.typedArrayFromHeap(t) as HeapArray;
}

/** Rows and row width of a tensor viewed as [product of the axes before `axis`, the rest]. */
export function rowsAndWidth(shape: number[], axis: number): [rows: number, width: number] {
  return [util.sizeFromShape(shape.slice(0, axis)), util.sizeFromShape(shape.slice(axis))];
}
