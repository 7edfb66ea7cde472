import * as tf from '@tensorflow/tfjs-core';
import { Module, type Initializer } from '../module.js';
import { onesInit, zerosInit } from '../init.js';
import { silu, siluGradFromInput } from './activations.js';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, FUSED_BATCH_NORM_SILU, FUSED_SILU, FUSED_SILU_GRAD, hasFusedKernel } from './fused-kernels.js';

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
      this.updateRunningStats(mean, variance, x.size / this.numFeatures);
      return y;
    });
  }

  /**
   * `silu(this.forward(x))`. In training mode on a backend with the fused BatchNorm kernels, the backward pass keeps
   * only x: it recomputes the normalised tensor with the same kernel (identical values, statistics included) instead
   * of holding it and the statistics from the forward pass; SiLU's gradient then runs as in `silu`, and BatchNorm's
   * as before. One full-size tensor less per BatchNorm-SiLU pair (EfficientNet's convolutions), bit-identical
   * gradients, one more BatchNorm pass in the backward. Where the backend has the BatchNorm-SiLU kernel pair
   * (@nextnets/backend on wasm), that pair does the same in one kernel each way (with @nextnets/backend-native, without
   * writing the normalised tensor or SiLU's gradient out at all).
   */
  forwardSilu(x: tf.Tensor): tf.Tensor {
    if (this.training && x.dtype === 'float32' && hasFusedKernel(FUSED_BATCH_NORM_SILU)) {
      return tf.tidy(() => {
        const attrs = { eps: this.eps } as unknown as tf.NamedAttrMap;
        const inputs = { x, weight: this.weight, bias: this.bias };
        const [z, mean, variance] = tf.engine().runKernel(FUSED_BATCH_NORM_SILU, inputs, attrs) as tf.Tensor[];
        this.updateRunningStats(mean, variance, x.size / this.numFeatures);
        return z;
      });
    }
    if (!this.training || x.dtype !== 'float32' || !hasFusedKernel(FUSED_BATCH_NORM) || tf.getKernel(FUSED_BATCH_NORM_GRAD, tf.getBackend()) == null) {
      return silu(this.forward(x));
    }
    const fusedSilu = hasFusedKernel(FUSED_SILU) && tf.getKernel(FUSED_SILU_GRAD, tf.getBackend()) != null;
    return tf.tidy(() => {
      const attrs = { eps: this.eps } as unknown as tf.NamedAttrMap;
      const normalize = (xt: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor[] =>
        tf.engine().runKernel(FUSED_BATCH_NORM, { x: xt, weight: w, bias: b }, attrs) as tf.Tensor[];
      let stats: tf.Tensor[] = [];
      const op = tf.customGrad((xIn, wIn, bIn, save) => {
        const [xt, w, b] = [xIn, wIn, bIn] as tf.Tensor[];
        (save as tf.GradSaveFunc)([xt, w, b]);
        const [y, mean, variance] = normalize(xt, w, b);
        // kept past the custom op's own tidy for the running statistics below
        stats = [tf.keep(mean), tf.keep(variance)];
        return {
          value: fusedSilu ? (tf.engine().runKernel(FUSED_SILU, { x: y }) as tf.Tensor) : tf.mul(y, tf.sigmoid(y)),
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
            tf.tidy(() => {
              const [xs, ws, bs] = saved;
              const [ys, ms, vs] = normalize(xs, ws, bs);
              // silu's gradient (the fused kernel's, or the composite's as activations.ts computes it), then BatchNorm's
              const dyBn = fusedSilu ? (tf.engine().runKernel(FUSED_SILU_GRAD, { dy, x: ys }) as tf.Tensor) : siluGradFromInput(dy, ys);
              return tf.engine().runKernel(FUSED_BATCH_NORM_GRAD, { dy: dyBn, x: xs, weight: ws, mean: ms, variance: vs }, attrs) as tf.Tensor[];
            }),
        };
      });
      const out = op(x, this.weight, this.bias);
      const [mean, variance] = stats;
      this.updateRunningStats(mean, variance, x.size / this.numFeatures);
      tf.dispose(stats);
      return out;
    });
  }

  /** PyTorch's running-statistics update from a batch's mean and biased variance over `count` values per channel. */
  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
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
