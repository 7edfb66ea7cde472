import * as tf from '@tensorflow/tfjs-core';
import { Module, type Initializer } from '../module.js';
import { onesInit, zerosInit } from '../init.js';
import { FUSED_BATCH_NORM, hasFusedKernel } from './fused-kernels.js';

export interface BatchNorm2dOptions {
  eps?: number;
  /** PyTorch momentum: running = (1 − m)·running + m·batch (TF's 0.9 decay = PyTorch 0.1). */
  momentum?: number;
  /** Init of the affine weight γ (default ones; e.g. RepVGG blocks use N(0.1, 0.1), RepVGG paper; timm byobnet.py). */
  weightInit?: Initializer;
  /** Init of the affine bias β (default zeros). */
  biasInit?: Initializer;
}

/**
 * BatchNorm over the channel (last) axis of NHWC tensors, PyTorch semantics: train mode normalises with the biased
 * batch variance and updates the running stats with the unbiased one; eval mode uses the running stats.
 * Keys: `weight`, `bias`, `running_mean`, `running_var` (`num_batches_tracked` is not kept; loaders ignore it).
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = this.addParameter('weight', [numFeatures], opts.weightInit ?? onesInit);
    this.bias = this.addParameter('bias', [numFeatures], opts.biasInit ?? zerosInit);
    this.runningMean = this.addBuffer('running_mean', [numFeatures], zerosInit);
    this.runningVar = this.addBuffer('running_var', [numFeatures], onesInit);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (!this.training) {
        // Folded affine: x·scale + shift, scale = γ/√(σ²+ε), shift = β − μ·scale.
        const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
        const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
        return tf.add(tf.mul(x, scale), shift);
      }
      const { y, mean, variance } = this.normalizeWithBatchStats(x);
      const count = x.size / this.numFeatures;
      const m = this.momentum;
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
      return y;
    });
  }

  /** y with the batch's own statistics (biased variance), and those statistics; the fused kernel when registered. */
  private normalizeWithBatchStats(x: tf.Tensor): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
    if (x.dtype === 'float32' && hasFusedKernel(FUSED_BATCH_NORM)) {
      const attrs = { eps: this.eps } as unknown as tf.NamedAttrMap;
      const [y, mean, variance] = tf.engine().runKernel(FUSED_BATCH_NORM, { x, weight: this.weight, bias: this.bias }, attrs) as tf.Tensor[];
      return { y, mean, variance };
    }
    const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
    const scale = tf.mul(this.weight, tf.rsqrt(tf.add(variance, this.eps)));
    return { y: tf.add(tf.mul(tf.sub(x, mean), scale), this.bias), mean, variance };
  }
}
