import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GELU, FUSED_SILU, hasFusedKernel } from './fused-kernels.js';

/**
 * Exact (erf) GELU, PyTorch's `nn.GELU()` default: 0.5·x·(1 + erf(x/√2)). One fused kernel when the backend has it
 * (see fused-kernels.ts), else the composite ops.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && hasFusedKernel(FUSED_GELU)) return tf.engine().runKernel(FUSED_GELU, { x }) as tf.Tensor;
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** SiLU / swish: x·σ(x). One fused kernel (with its gradient) when the backend has it, else the composite ops. */
export function silu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && hasFusedKernel(FUSED_SILU)) return tf.engine().runKernel(FUSED_SILU, { x }) as tf.Tensor;
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/** min(max(x, 0), 6). */
export function relu6(x: tf.Tensor): tf.Tensor {
  return tf.relu6(x);
}

export function sigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(x);
}

export function identityActivation(x: tf.Tensor): tf.Tensor {
  return x;
}

export type ActivationName = 'gelu' | 'silu' | 'swish' | 'relu' | 'relu6' | 'sigmoid' | 'identity';
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

const ACTIVATIONS: Record<ActivationName, ActivationFn> = {
  gelu,
  silu,
  swish: silu,
  relu,
  relu6,
  sigmoid,
  identity: identityActivation,
};

/** Looks an activation up by its timm name. */
export function getActivation(name: ActivationName): ActivationFn {
  const fn = ACTIVATIONS[name];
  if (!fn) throw new Error(`unknown activation '${name}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return fn;
}
