import * as tf from '@tensorflow/tfjs-core';
import type { ParamGroup } from '../paramGroups';
import type { NamedParam } from '../types';
import { Optimizer, type UpdateContext } from './optimizer';

export interface SGDOptions {
  /** Default lr when `step` gets none (RepVGG recipe: cosine from 0.1, RepVGG paper; timm byobnet.py). */
  lr?: number;
  momentum?: number;
  dampening?: number;
  /** L2 penalty added to the gradient (coupled, as torch.optim.SGD); default 0. */
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD, per parameter:
 *   d ← g + wd·p
 *   buf ← d (first update) | momentum·buf + (1−dampening)·d
 *   d ← nesterov ? d + momentum·buf : buf
 *   p ← p − lr·d
 */
export class SGD extends Optimizer {
  readonly kind = 'SGD';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: ParamGroup[] | NamedParam[], options: SGDOptions = {}) {
    const momentum = options.momentum ?? 0;
    super(
      params,
      { lr: options.lr ?? 1e-3, weightDecay: options.weightDecay ?? 0 },
      momentum !== 0 ? [{ name: 'momentum_buffer', fill: 0 }] : [],
    );
    this.momentum = momentum;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (!(momentum >= 0)) throw new Error(`SGD: momentum must be >= 0, got ${momentum}`);
    if (this.nesterov && (momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: nesterov requires momentum > 0 and dampening 0');
    }
  }

  protected updateParam(
    variable: tf.Variable,
    grad: tf.Tensor,
    slots: Record<string, tf.Variable>,
    { lr, weightDecay, step }: UpdateContext,
  ): void {
    let direction = weightDecay !== 0 ? tf.add(grad, tf.mul(variable, this.scalar(weightDecay))) : grad;
    if (this.momentum !== 0) {
      const buffer =
        step === 1
          ? direction
          : tf.add(tf.mul(slots.momentum_buffer, this.scalar(this.momentum)), tf.mul(direction, this.scalar(1 - this.dampening)));
      slots.momentum_buffer.assign(buffer);
      direction = this.nesterov ? tf.add(direction, tf.mul(buffer, this.scalar(this.momentum))) : buffer;
    }
    variable.assign(tf.add(variable, tf.mul(direction, this.scalar(-lr))));
  }
}
