import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { onesInit, zerosInit } from '../init.js';
import { FUSED_LAYER_NORM, hasFusedKernel } from './fused-kernels.js';

/**
 * Normalises the last axis with broadcasting (no tile): (x − mean)/√(var + eps)·weight + bias, biased variance.
 * One fused kernel (outputs y, mean, 1/std) when the backend has it and both affine tensors are given.
 */
export function layerNormLastAxis(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number): tf.Tensor {
  if (weight && bias && x.dtype === 'float32' && hasFusedKernel(FUSED_LAYER_NORM)) {
    return tf.tidy(() => {
      const attrs = { eps } as unknown as tf.NamedAttrMap;
      const [y] = tf.engine().runKernel(FUSED_LAYER_NORM, { x, weight, bias }, attrs) as tf.Tensor[];
      return y;
    });
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (weight) y = tf.mul(y, weight);
    if (bias) y = tf.add(y, bias);
    return y;
  });
}

/** `nn.LayerNorm(C)` over the last axis (channels-last). Keys `weight`, `bias`; eps default 1e-6 as in ConvNeXt. */
export class LayerNorm extends Module {
  readonly eps: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(numFeatures: number, eps = 1e-6) {
    super();
    this.eps = eps;
    this.weight = this.addParameter('weight', [numFeatures], onesInit);
    this.bias = this.addParameter('bias', [numFeatures], zerosInit);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return layerNormLastAxis(x, this.weight, this.bias, this.eps);
  }
}

/**
 * timm's `LayerNorm2d` (channels_first LayerNorm over C of NCHW, timm's shared layers). Tensors are NHWC here, so it is the same
 * computation as `LayerNorm`; the separate class keeps model definitions readable next to timm's.
 */
export class LayerNorm2d extends LayerNorm {}
