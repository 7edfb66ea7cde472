import * as tf from '@tensorflow/tfjs-core';
import type { ParamGroup } from '../paramGroups';
import type { NamedParam } from '../types';
import { Optimizer, type SlotSpec, type UpdateContext } from './optimizer';
import { FUSED_ADAMW_UPDATE } from '@nextnets/backend/kernel-names';

export interface AdamWOptions {
  /** Default lr when `step` gets none (torch default 1e-3). */
  lr?: number;
  /** (beta1, beta2); torch default (0.9, 0.999). FCMAE pre-training uses (0.9, 0.95) (ConvNeXt V2 FCMAE; official fcmae.py). */
  betas?: [number, number];
  /** Added after the square root of the bias-corrected second moment; default 1e-8. */
  eps?: number;
  /** Decoupled weight decay for groups that do not set their own; torch default 1e-2. */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad?: boolean;
  /**
   * Use the fused update kernel (`ADAMW_UPDATE_KERNEL`) when the active backend registers it (default true); false
   * forces the composite ops. Either way the results are the same; amsgrad always takes the composite path.
   */
  fused?: boolean;
}

/**
 * Name of the fused AdamW update kernel: inputs {param, grad, m, v}, attrs {lr, beta1, beta2, eps, weightDecay, step},
 * outputs [param, m, v] computed exactly as the composite path below. @nextnets/backend registers it for wasm (and
 * spells its name once, in `@nextnets/backend/kernel-names`).
 */
export const ADAMW_UPDATE_KERNEL = FUSED_ADAMW_UPDATE;

/**
 * torch.optim.AdamW (single-tensor path), per parameter at step t:
 *   p ← p·(1 − lr·wd)                      (decoupled decay, before the Adam update)
 *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²   (amsgrad: v̂ ← max(v̂, v), used instead of v)
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
 */
export class AdamW extends Optimizer {
  readonly kind = 'AdamW';
  readonly betas: [number, number];
  readonly eps: number;
  readonly amsgrad: boolean;
  readonly fused: boolean;
  /** Whether the current `step` runs the fused kernel (decided once per step). */
  private fusedThisStep = false;

  constructor(params: ParamGroup[] | NamedParam[], options: AdamWOptions = {}) {
    const amsgrad = options.amsgrad ?? false;
    const slots: SlotSpec[] = [
      { name: 'exp_avg', fill: 0 },
      { name: 'exp_avg_sq', fill: 0 },
    ];
    if (amsgrad) slots.push({ name: 'max_exp_avg_sq', fill: 0 });
    super(params, { lr: options.lr ?? 1e-3, weightDecay: options.weightDecay ?? 1e-2 }, slots);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.amsgrad = amsgrad;
    this.fused = options.fused ?? true;
    for (const beta of this.betas) {
      if (!(beta >= 0 && beta < 1)) throw new Error(`AdamW: betas must be in [0, 1), got [${this.betas}]`);
    }
    if (!(this.eps >= 0)) throw new Error(`AdamW: eps must be >= 0, got ${this.eps}`);
  }

  /** True when `step` would run the fused kernel: enabled, no amsgrad, and registered for the active backend. */
  fusedKernelAvailable(): boolean {
    return this.fused && !this.amsgrad && tf.getKernel(ADAMW_UPDATE_KERNEL, tf.getBackend()) != null;
  }

  protected override beginStep(): void {
    this.fusedThisStep = this.fusedKernelAvailable();
  }

  protected updateParam(
    variable: tf.Variable,
    grad: tf.Tensor,
    slots: Record<string, tf.Variable>,
    { lr, weightDecay, step }: UpdateContext,
  ): void {
    const [beta1, beta2] = this.betas;
    if (this.fusedThisStep) {
      const inputs = { param: variable, grad, m: slots.exp_avg, v: slots.exp_avg_sq };
      const attrs = { lr, beta1, beta2, eps: this.eps, weightDecay, step };
      const [param, expAvg, expAvgSq] = tf.engine().runKernel(ADAMW_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
      slots.exp_avg.assign(expAvg);
      slots.exp_avg_sq.assign(expAvgSq);
      variable.assign(param);
      return;
    }
    const decayed = weightDecay !== 0 ? tf.mul(variable, this.scalar(1 - lr * weightDecay)) : variable;
    const expAvg = tf.add(tf.mul(slots.exp_avg, this.scalar(beta1)), tf.mul(grad, this.scalar(1 - beta1)));
    const expAvgSq = tf.add(tf.mul(slots.exp_avg_sq, this.scalar(beta2)), tf.mul(tf.mul(grad, grad), this.scalar(1 - beta2)));
    slots.exp_avg.assign(expAvg);
    slots.exp_avg_sq.assign(expAvgSq);
    let secondMoment: tf.Tensor = expAvgSq;
    if (this.amsgrad) {
      secondMoment = tf.maximum(slots.max_exp_avg_sq, expAvgSq);
      slots.max_exp_avg_sq.assign(secondMoment);
    }
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const denom = tf.add(tf.div(tf.sqrt(secondMoment), this.scalar(Math.sqrt(biasCorrection2))), this.scalar(this.eps));
    const stepSize = lr / biasCorrection1;
    variable.assign(tf.sub(decayed, tf.mul(tf.div(expAvg, denom), this.scalar(stepSize))));
  }
}
