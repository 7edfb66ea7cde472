import * as tf from '@tensorflow/tfjs-core';
import { leanGradientsSupported, leanVariableGrads } from './backprop.js';
import type { Module } from './module.js';

export interface ValueAndGrads {
  /** The scalar loss (caller disposes). */
  value: tf.Scalar;
  /** Gradients keyed by timm parameter name (caller disposes). */
  grads: Record<string, tf.Tensor>;
}

/**
 * Computes a scalar loss and the gradients of all trainable parameters of `module`, keyed by their timm names
 * (what optimizers and gradient clipping consume). Intermediate tensors of the forward/backward are freed, each as
 * soon as the backward pass no longer needs it (`leanVariableGrads`), so the peak memory is about the activations the
 * forward pass saved; inside an enclosing gradient it falls back to `tf.variableGrads`.
 */
export function valueAndGrads(module: Module, loss: () => tf.Scalar): ValueAndGrads {
  const named = module.namedParameters();
  const variables = named.map(([, p]) => p.variable);
  const { value, grads } = leanGradientsSupported() ? leanVariableGrads(loss, variables) : tf.variableGrads(loss, variables);
  const byName: Record<string, tf.Tensor> = {};
  for (const [name, p] of named) {
    const g = grads[p.variable.name];
    if (g) byName[name] = g;
  }
  return { value, grads: byName };
}
