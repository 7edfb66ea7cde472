import * as tf from '@tensorflow/tfjs-core';
import type { ParamGroup } from '../paramGroups';
import type { NamedParam } from '../types';
import { Optimizer, type UpdateContext } from './optimizer';

export interface RMSPropTFOptions {
  /** Default lr when `step` gets none. */
  lr?: number;
  /** Decay of the mean-square accumulator (TF `decay`, torch `alpha`); default 0.9. */
  rho?: number;
  momentum?: number;
  /** Added to the mean square INSIDE the square root (TF convention); default 1e-3 (EfficientNetV2). */
  eps?: number;
  /**
   * L2 coefficient added to the gradient (g + wd·p), i.e. the gradient of `l2Loss(params, wd)` =
   * wd·Σ‖v‖²/2, which is how EfficientNetV2 applies weight decay (EfficientNetV2 paper; official effnetv2_model.py). Default 0.
   */
  weightDecay?: number;
}

/**
 * tf.compat.v1.train.RMSPropOptimizer (non-centered) as used by EfficientNetV2 (EfficientNetV2 paper; official effnetv2_model.py), per parameter:
 *   g  ← g + wd·p                                   (L2 term, optional)
 *   ms ← ms + (g² − ms)·(1 − rho)                   (ms slot initialised to 1, not 0)
 *   mom ← momentum·mom + lr·g / √(ms + eps)         (lr inside the momentum buffer)
 *   p  ← p − mom
 * Same as timm `RMSpropTF` with its defaults (lr_in_momentum=True, decoupled_decay=False).
 * Differs from torch.optim.RMSprop: torch starts the mean square at 0, adds eps after the square root and
 * applies lr outside the momentum buffer (so an lr change does not rescale past momentum).
 */
export class RMSPropTF extends Optimizer {
  readonly kind = 'RMSPropTF';
  readonly rho: number;
  readonly momentum: number;
  readonly eps: number;

  constructor(params: ParamGroup[] | NamedParam[], options: RMSPropTFOptions = {}) {
    super(
      params,
      { lr: options.lr ?? 1e-2, weightDecay: options.weightDecay ?? 0 },
      [
        { name: 'ms', fill: 1 },
        { name: 'mom', fill: 0 },
      ],
    );
    this.rho = options.rho ?? 0.9;
    this.momentum = options.momentum ?? 0.9;
    this.eps = options.eps ?? 1e-3;
    if (!(this.rho >= 0 && this.rho < 1)) throw new Error(`RMSPropTF: rho must be in [0, 1), got ${this.rho}`);
    if (!(this.momentum >= 0)) throw new Error(`RMSPropTF: momentum must be >= 0, got ${this.momentum}`);
    if (!(this.eps > 0)) throw new Error(`RMSPropTF: eps must be > 0, got ${this.eps}`);
  }

  protected updateParam(
    variable: tf.Variable,
    grad: tf.Tensor,
    slots: Record<string, tf.Variable>,
    { lr, weightDecay }: UpdateContext,
  ): void {
    const g = weightDecay !== 0 ? tf.add(grad, tf.mul(variable, this.scalar(weightDecay))) : grad;
    const ms = tf.add(slots.ms, tf.mul(tf.sub(tf.mul(g, g), slots.ms), this.scalar(1 - this.rho)));
    const mom = tf.add(tf.mul(slots.mom, this.scalar(this.momentum)), tf.div(tf.mul(g, this.scalar(lr)), tf.sqrt(tf.add(ms, this.scalar(this.eps)))));
    slots.ms.assign(ms);
    slots.mom.assign(mom);
    variable.assign(tf.sub(variable, mom));
  }
}
