import * as tf from '@tensorflow/tfjs-core';
import type { ParamGroup } from '../paramGroups';
import type { Grads, NamedParam } from '../types';
import { Optimizer, type UpdateContext } from './optimizer';

export interface LAMBOptions {
  /** Default lr when `step` gets none (timm default 1e-3). */
  lr?: number;
  betas?: [number, number];
  /** Added after the square root of the bias-corrected second moment; timm default 1e-6. */
  eps?: number;
  /** Default 0.01 (timm). Groups with weight decay 0 skip the trust ratio unless `alwaysAdapt`. */
  weightDecay?: number;
  /** First moment uses (1 − β1)·g (true, default) or g. */
  gradAveraging?: boolean;
  /** Gradients are divided by max(1, ‖g‖global / maxGradNorm) first; `null` disables. Default 1.0. */
  maxGradNorm?: number | null;
  /** LAMBC: trust ratio clipped at 1. */
  trustClip?: boolean;
  /** Apply the trust ratio also to parameters without weight decay. */
  alwaysAdapt?: boolean;
}

/**
 * timm `Lamb` (layer-wise adaptive Adam), per parameter at step t:
 *   g ← g / max(1, ‖G‖/maxGradNorm)   (G = all gradients of the step)
 *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²
 *   u ← (m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + eps) + wd·p
 *   r ← ‖p‖ > 0 and ‖u‖ > 0 ? ‖p‖/‖u‖ : 1   (only when wd ≠ 0 or alwaysAdapt; trustClip: min(r, 1))
 *   p ← p − lr·r·u
 * The step count is per parameter (timm keeps it per group; identical when every parameter gets a gradient).
 */
export class LAMB extends Optimizer {
  readonly kind = 'LAMB';
  readonly betas: [number, number];
  readonly eps: number;
  readonly gradAveraging: boolean;
  readonly maxGradNorm: number | null;
  readonly trustClip: boolean;
  readonly alwaysAdapt: boolean;
  /** 1 / clip divisor of the current step; lives inside the step's tidy. */
  private gradScale: tf.Scalar | null = null;

  constructor(params: ParamGroup[] | NamedParam[], options: LAMBOptions = {}) {
    super(params, { lr: options.lr ?? 1e-3, weightDecay: options.weightDecay ?? 0.01 }, [
      { name: 'exp_avg', fill: 0 },
      { name: 'exp_avg_sq', fill: 0 },
    ]);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-6;
    this.gradAveraging = options.gradAveraging ?? true;
    this.maxGradNorm = options.maxGradNorm === undefined ? 1 : options.maxGradNorm;
    this.trustClip = options.trustClip ?? false;
    this.alwaysAdapt = options.alwaysAdapt ?? false;
    for (const beta of this.betas) {
      if (!(beta >= 0 && beta < 1)) throw new Error(`LAMB: betas must be in [0, 1), got [${this.betas}]`);
    }
    if (this.maxGradNorm !== null && !(this.maxGradNorm > 0)) {
      throw new Error(`LAMB: maxGradNorm must be > 0 or null, got ${this.maxGradNorm}`);
    }
  }

  protected override beginStep(grads: Grads): void {
    const values = Object.values(grads);
    if (this.maxGradNorm === null || values.length === 0) {
      this.gradScale = null;
      return;
    }
    const squares = values.map((g) => tf.sum(tf.square(tf.cast(g, 'float32'))));
    const globalNorm = tf.sqrt(tf.addN(squares));
    const maxNorm = this.scalar(this.maxGradNorm);
    this.gradScale = tf.where(tf.greater(globalNorm, maxNorm), tf.div(globalNorm, maxNorm), this.scalar(1)) as tf.Scalar;
  }

  protected updateParam(
    variable: tf.Variable,
    rawGrad: tf.Tensor,
    slots: Record<string, tf.Variable>,
    { lr, weightDecay, step }: UpdateContext,
  ): void {
    const [beta1, beta2] = this.betas;
    const grad = this.gradScale ? tf.div(rawGrad, this.gradScale) : rawGrad;
    const expAvg = tf.add(tf.mul(slots.exp_avg, this.scalar(beta1)), tf.mul(grad, this.scalar(this.gradAveraging ? 1 - beta1 : 1)));
    const expAvgSq = tf.add(tf.mul(slots.exp_avg_sq, this.scalar(beta2)), tf.mul(tf.mul(grad, grad), this.scalar(1 - beta2)));
    slots.exp_avg.assign(expAvg);
    slots.exp_avg_sq.assign(expAvgSq);
    const denom = tf.add(tf.div(tf.sqrt(expAvgSq), this.scalar(Math.sqrt(1 - beta2 ** step))), this.scalar(this.eps));
    let update = tf.div(tf.div(expAvg, this.scalar(1 - beta1 ** step)), denom);
    if (weightDecay !== 0) update = tf.add(update, tf.mul(variable, this.scalar(weightDecay)));
    if (weightDecay !== 0 || this.alwaysAdapt) {
      const one = this.scalar(1);
      const weightNorm = tf.norm(variable);
      const updateNorm = tf.norm(update);
      let trust = tf.where(
        tf.greater(weightNorm, 0),
        tf.where(tf.greater(updateNorm, 0), tf.div(weightNorm, updateNorm), one),
        one,
      );
      if (this.trustClip) trust = tf.minimum(trust, one);
      update = tf.mul(update, trust);
    }
    variable.assign(tf.add(variable, tf.mul(update, this.scalar(-lr))));
  }
}
