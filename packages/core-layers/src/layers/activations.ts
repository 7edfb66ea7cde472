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

/** SiLU's gradient from its input, in tfjs' Mul and Sigmoid gradient order: dy·σ(x) + (dy·x)·(σ(x)·(1 − σ(x))). */
export function siluGradFromInput(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const s = tf.sigmoid(x);
  return tf.add(tf.mul(dy, s), tf.mul(tf.mul(dy, x), tf.mul(s, tf.sub(tf.scalar(1), s))));
}

/**
 * x·σ(x) whose backward recomputes σ(x) from the saved x instead of keeping σ(x) alive from the forward pass (the
 * composite ops save both x and σ(x): one full-size tensor more per activation, like PyTorch's SiLU, which saves x
 * only). The gradient runs tfjs' own Mul and Sigmoid gradient ops in their order, dy·σ + (dy·x)·(σ·(1 − σ)), so the
 * values are bit-identical to differentiating the composite.
 */
const siluSavingInput = tf.customGrad((x, save) => {
  const xt = x as tf.Tensor;
  (save as tf.GradSaveFunc)([xt]);
  return {
    value: tf.mul(xt, tf.sigmoid(xt)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => siluGradFromInput(dy, saved[0])),
  };
});

/**
 * SiLU / swish: x·σ(x). One fused kernel (with its gradient, saving x only) when the backend has it, else the
 * composite that saves x only.
 */
export function silu(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
  if (hasFusedKernel(FUSED_SILU)) return tf.engine().runKernel(FUSED_SILU, { x }) as tf.Tensor;
  return siluSavingInput(x);
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
