import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, type DataType, getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The wasm backend as seen by a kernel (`KernelFunc` types it as `{}`). */
export function asWasmBackend(backend: unknown): BackendWasm {
  return backend as BackendWasm;
}

/**
 * Allocates a zero-filled output on the wasm heap. Call this BEFORE taking heap views of the inputs:
 * an allocation can grow the wasm memory, which detaches every view taken earlier.
 */
export function zeroedOutput(backend: BackendWasm, shape: number[], dtype: DataType): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}

/** A float32 view (no copy) of a tensor that lives on the wasm heap. */
export function floatView(backend: BackendWasm, t: TensorInfo): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${t.dtype} of shape [${t.shape}]`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Byte offset of a float32 tensor's data on the wasm heap (the pointer our heap modules take). */
export function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  return floatView(backend, t).byteOffset;
}

/** Rejects NCHW: the custom kernels implement the NHWC layout nextnets uses everywhere. */
export function assertChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && backend_util.convertConv2DDataFormat(dataFormat as 'NHWC' | 'NCHW') !== 'channelsLast') {
    throw new Error(`${kernel} on wasm supports only NHWC data, got dataFormat '${dataFormat}'`);
  }
}

/** Allocates an uninitialised float32 tensor on the wasm heap (for scratch inputs of stock wasm kernels). */
export function scratchTensor(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** Frees tensors allocated with `scratchTensor` or returned by `runStockKernel`. */
export function releaseScratch(backend: BackendWasm, ...tensors: TensorInfo[]): void {
  for (const t of tensors) backend.disposeData(t.dataId);
}

/** Runs a kernel of the stock wasm backend (XNNPACK-backed, SIMD) on tensors already on its heap. */
export function runStockKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel == null) throw new Error(`wasm backend has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}
