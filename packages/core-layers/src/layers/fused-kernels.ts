import * as tf from '@tensorflow/tfjs-core';

/**
 * Names of optional fused kernels. A backend package may register them (kernel + gradient, e.g. @nextnets/backend for
 * wasm); the layers use one only when the active backend has it, and fall back to the composite tfjs ops otherwise.
 */
export const FUSED_GELU = 'NextnetsGelu';
export const FUSED_LAYER_NORM = 'NextnetsLayerNorm';
/** Training-mode BatchNorm over the last axis: inputs {x, weight, bias}, attrs {eps}, outputs [y, mean, variance]. */
export const FUSED_BATCH_NORM = 'NextnetsBatchNorm';

/** True when the active backend has the kernel and a gradient is registered for it. */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null && tf.getGradient(name) != null;
}
