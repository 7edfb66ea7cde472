import * as tf from '@tensorflow/tfjs-core';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * The float32 values of `t`: a view of the wasm heap when the tensor lives there (no copy; read it at once, before
 * any other tfjs call can grow the heap and detach the view), else a copy from `dataSync`.
 */
export function floatData(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  if (tf.getBackend() === 'wasm' && t.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function') {
    return backend.typedArrayFromHeap(t);
  }
  return t.dataSync() as Float32Array;
}
