import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, zeroedOutput } from './wasm_tensors';

/**
 * out[s, ...] = sum of x[i, ...] over every i with segmentIds[i] == s (segmentIds may cover several leading
 * axes of x; ids outside [0, numSegments) are dropped, as in TensorFlow). This is the gradient of tf.gather.
 */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  if (!util.arraysEqual(segmentIds.shape, x.shape.slice(0, idRank))) {
    throw new Error(
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  const out = zeroedOutput(backend, [numSegments, ...x.shape.slice(idRank)], x.dtype);
  const outv = backend.typedArrayFromHeap(out);
  const xv = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const rows = util.sizeFromShape(segmentIds.shape);
  const inner = rows === 0 ? 0 : xv.length / rows;
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) outv[dst + k] += xv[src + k];
  }
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
