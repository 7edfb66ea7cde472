import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels (names from `@nextnets/backend/kernel-names`, the one place they are spelled). A backend
 * package may register them (kernel + gradient, e.g. @nextnets/backend for wasm); the layers use one only when the
 * active backend has it, and fall back to the composite tfjs ops otherwise.
 */
export {
  FUSED_BATCH_NORM,
  FUSED_BATCH_NORM_GRAD,
  FUSED_BATCH_NORM_SILU,
  FUSED_GELU,
  FUSED_GRN,
  FUSED_LAYER_NORM,
  FUSED_SILU,
  FUSED_SILU_GRAD,
} from '@nextnets/backend/kernel-names';

/** True when the active backend has the kernel and a gradient is registered for it. */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null && tf.getGradient(name) != null;
}
