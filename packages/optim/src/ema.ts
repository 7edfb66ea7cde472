import * as tf from '@tensorflow/tfjs-core';
import type { SavedState, Stateful } from './types';

/**
 * Decay warmup:
 * - `none`: constant decay (ConvNeXt official / timm-0.3.2 ModelEma, ConvNeXt's official recipe, main.py/optim_factory.py);
 * - `tf`: min(decay, (1 + n)/(10 + n)), tf.train.ExponentialMovingAverage with num_updates = global step (EfficientNetV2, EfficientNetV2 paper; official effnetv2_model.py);
 * - object: timm ModelEmaV3 with use_warmup: s = max(0, n − updateAfterStep − 1); s = 0 → decay 0 (plain copy);
 *   else clamp(1 − (1 + s/gamma)^−power, minDecay, decay). Defaults gamma 1, power 2/3, minDecay 0, updateAfterStep 0.
 * Here n is the number of optimizer steps taken including the one just applied (timm passes `num_updates`
 * incremented after the step; TF's global_step is incremented by apply_gradients before the EMA op).
 */
export type EmaWarmup = 'none' | 'tf' | { gamma?: number; power?: number; minDecay?: number; updateAfterStep?: number };

export interface ModelEmaOptions {
  /** Default 0.9999. */
  decay?: number;
  /** Default `none`. */
  warmup?: EmaWarmup;
  /**
   * Entries whose EMA is a plain copy of the model value instead of an average.
   * Default: non-float entries (int counters such as `num_batches_tracked`), like timm.
   */
  copyOnly?: (name: string, variable: tf.Variable) => boolean;
}

/**
 * Exponential moving average of model parameters AND buffers (BN running stats):
 * ema ← ema − (1 − d)·(ema − value) after each optimizer step. Shadow copies start equal to the model.
 */
export class ModelEma implements Stateful {
  readonly decay: number;
  readonly warmup: EmaWarmup;
  private readonly model = new Map<string, tf.Variable>();
  private readonly shadow = new Map<string, tf.Variable>();
  private readonly copied = new Set<string>();
  private updates = 0;
  private swapped = false;

  constructor(entries: Iterable<[string, tf.Variable]>, options: ModelEmaOptions = {}) {
    this.decay = options.decay ?? 0.9999;
    this.warmup = options.warmup ?? 'none';
    if (!(this.decay >= 0 && this.decay <= 1)) throw new Error(`ModelEma: decay must be in [0, 1], got ${this.decay}`);
    const copyOnly = options.copyOnly ?? ((_name: string, variable: tf.Variable) => variable.dtype !== 'float32');
    for (const [name, variable] of entries) {
      if (this.model.has(name)) throw new Error(`ModelEma: duplicate entry '${name}'`);
      this.model.set(name, variable);
      this.shadow.set(name, tf.tidy(() => tf.variable(variable.clone(), false)));
      if (copyOnly(name, variable)) this.copied.add(name);
    }
  }

  /** Number of `update` calls so far. */
  get numUpdates(): number {
    return this.updates;
  }

  /** True while the model variables hold the EMA values (after an odd number of `swap` calls). */
  get isSwapped(): boolean {
    return this.swapped;
  }

  /** Decay used for the update after optimizer step `step` (1-based count, see {@link EmaWarmup}). */
  decayAt(step: number): number {
    if (this.warmup === 'none') return this.decay;
    if (this.warmup === 'tf') return Math.min(this.decay, (1 + step) / (10 + step));
    const { gamma = 1, power = 2 / 3, minDecay = 0, updateAfterStep = 0 } = this.warmup;
    const s = Math.max(0, step - updateAfterStep - 1);
    if (s <= 0) return 0;
    const warm = 1 - (1 + s / gamma) ** -power;
    return Math.max(Math.min(warm, this.decay), minDecay);
  }

  /** Folds the current model values into the average. `step` defaults to numUpdates + 1. */
  update(step: number = this.updates + 1): void {
    if (this.swapped) throw new Error('ModelEma.update: model holds the EMA weights; call swap() again first');
    const decay = this.decayAt(step);
    tf.tidy(() => {
      for (const [name, variable] of this.model) {
        const average = this.shadow.get(name) as tf.Variable;
        if (this.copied.has(name)) {
          average.assign(variable.clone());
        } else {
          average.assign(tf.sub(average, tf.mul(tf.sub(average, variable), 1 - decay)));
        }
      }
    });
    this.updates += 1;
  }

  /** Copies of the EMA values by name (caller disposes). */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, average] of this.shadow) out.set(name, average.clone());
    return out;
  }

  /** Replaces the EMA values; every entry must be present with the right shape and dtype. */
  loadStateDict(values: Map<string, tf.Tensor>): void {
    for (const [name, average] of this.shadow) {
      const value = values.get(name);
      if (!value) throw new Error(`ModelEma.loadStateDict: entry '${name}' missing`);
      if (!tf.util.arraysEqual(value.shape, average.shape) || value.dtype !== average.dtype) {
        throw new Error(
          `ModelEma.loadStateDict: '${name}' is ${value.dtype}[${value.shape}], expected ${average.dtype}[${average.shape}]`,
        );
      }
    }
    tf.tidy(() => {
      for (const [name, average] of this.shadow) average.assign((values.get(name) as tf.Tensor).clone());
    });
  }

  state(): SavedState {
    return { json: { kind: 'ModelEma', updates: this.updates, swapped: this.swapped }, tensors: this.stateDict() };
  }

  loadState(saved: SavedState): void {
    const { kind, updates } = saved.json;
    if (kind !== 'ModelEma' || typeof updates !== 'number' || !Number.isInteger(updates) || updates < 0) {
      throw new Error('ModelEma.loadState: expected json {kind: "ModelEma", updates: integer >= 0}');
    }
    if (saved.json.swapped === true) throw new Error('ModelEma.loadState: state was saved while swapped');
    if (this.swapped) throw new Error('ModelEma.loadState: swap() back before loading');
    this.loadStateDict(saved.tensors);
    this.updates = updates;
  }

  /** Exchanges model and EMA values, so the model can be evaluated with EMA weights; call again to switch back. */
  swap(): void {
    tf.tidy(() => {
      for (const [name, variable] of this.model) {
        const average = this.shadow.get(name) as tf.Variable;
        const modelValue = variable.clone();
        variable.assign(average);
        average.assign(modelValue);
      }
    });
    this.swapped = !this.swapped;
  }

  /** Writes the EMA values into other variables with the same names (e.g. an eval copy of the model). */
  copyTo(entries: Iterable<[string, tf.Variable]>): void {
    const targets = [...entries];
    for (const [name, target] of targets) {
      const average = this.shadow.get(name);
      if (!average) throw new Error(`ModelEma.copyTo: no EMA entry named '${name}'`);
      if (!tf.util.arraysEqual(target.shape, average.shape)) {
        throw new Error(`ModelEma.copyTo: '${name}' has shape [${target.shape}], EMA has [${average.shape}]`);
      }
    }
    const source = this.swapped ? this.model : this.shadow;
    tf.tidy(() => {
      for (const [name, target] of targets) target.assign((source.get(name) as tf.Variable).clone());
    });
  }

  /** Frees the EMA variables. */
  dispose(): void {
    for (const average of this.shadow.values()) average.dispose();
    this.shadow.clear();
  }
}
