import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { zerosInit } from '../init.js';
import { FUSED_GRN, hasFusedKernel } from './fused-kernels.js';

/**
 * ConvNeXt-V2 Global Response Normalization (ConvNeXt V2 paper; official convnextv2.py) on NHWC:
 * Gx = ‖x‖₂ over H,W (per sample, per channel); Nx = Gx / (mean_C Gx + eps); out = weight·(x·Nx) + bias + x.
 * Keys `weight`, `bias` (timm names of γ, β), zero-initialised so GRN starts as the identity.
 * In training mode on a backend with the fused kernel (its gradient is one kernel too) it runs as one kernel; in eval
 * mode the composite ops run, which every backend and the ONNX export understand.
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
    return this.normalize(x);
  }

  /**
   * GRN of x [N, …, C] (NHWC maps, or [N, H·W, C]): the norms run over every axis between the first and the last.
   * `keep` (broadcastable to x, 1 = visible) makes Gx use the masked x only (FCMAE's dense emulation of sparse
   * convolution; official fcmae.py); the output itself is not masked. Computed as x·(1 + weight·Nx) + bias, which
   * equals the definition and keeps one full-size tensor fewer.
   */
  normalize(x: tf.Tensor, keep: tf.Tensor | null = null): tf.Tensor {
    if (keep == null && this.training && x.rank >= 2 && x.dtype === 'float32' && hasFusedKernel(FUSED_GRN)) {
      return tf.tidy(() => {
        const attrs = { eps: this.eps } as unknown as tf.NamedAttrMap;
        const [y] = tf.engine().runKernel(FUSED_GRN, { x, weight: this.weight, bias: this.bias }, attrs) as tf.Tensor[];
        return y;
      });
    }
    return tf.tidy(() => {
      const stats = keep ? tf.mul(x, keep) : x;
      const spatial = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
      // The 1e-30 floor only keeps the gradient finite where a channel is exactly 0 at every (visible) position, which
      // masking makes likely: PyTorch's norm backward gives 0 there, d√s/ds at s = 0 would give ∞·0 = NaN. It is far
      // below any non-degenerate Σx², so forward values are unchanged in float32.
      const gx = tf.sqrt(tf.add(tf.sum(tf.square(stats), spatial, true), 1e-30));
      const nx = tf.div(gx, tf.add(tf.mean(gx, -1, true), this.eps));
      return tf.add(tf.mul(x, tf.add(tf.mul(this.weight, nx), 1)), this.bias);
    });
  }
}
