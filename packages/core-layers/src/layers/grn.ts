import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { zerosInit } from '../init.js';

/**
 * ConvNeXt-V2 Global Response Normalization (ConvNeXt V2 paper; official convnextv2.py) on NHWC:
 * Gx = ‖x‖₂ over H,W (per sample, per channel); Nx = Gx / (mean_C Gx + eps); out = weight·(x·Nx) + bias + x.
 * Keys `weight`, `bias` (timm names of γ, β), zero-initialised so GRN starts as the identity.
 */
export class GlobalResponseNorm extends Module {
  readonly eps: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(channels: number, eps = 1e-6) {
    super();
    this.eps = eps;
    this.weight = this.addParameter('weight', [channels], zerosInit);
    this.bias = this.addParameter('bias', [channels], zerosInit);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // +1e-30 keeps the gradient of √· finite for an all-zero channel (e.g. fully masked in FCMAE) without
      // changing any float32 forward value.
      const gx = tf.sqrt(tf.add(tf.sum(tf.square(x), [1, 2], true), 1e-30));
      const nx = tf.div(gx, tf.add(tf.mean(gx, -1, true), this.eps));
      return tf.add(tf.add(tf.mul(this.weight, tf.mul(x, nx)), this.bias), x);
    });
  }
}
