import * as tf from '@tensorflow/tfjs-core';
import type { ParamGroup } from '../paramGroups';
import type { Grads, NamedParam, SavedState, Stateful } from '../types';

/** A per-parameter state tensor ("slot"), created eagerly with a constant fill value. */
export interface SlotSpec {
  name: string;
  fill: number;
}

/** Group after defaults were applied. */
export interface ResolvedGroup {
  params: NamedParam[];
  lrScale: number;
  weightDecay: number;
}

/** What a single-parameter update needs besides the tensors. */
export interface UpdateContext {
  /** Effective lr of the parameter's group (scheduler lr × lrScale). */
  lr: number;
  weightDecay: number;
  /** 1-based number of updates this parameter has received, including this one (torch `state['step']`). */
  step: number;
}

export interface OptimizerDefaults {
  lr: number;
  weightDecay: number;
}

function isGroupList(params: ParamGroup[] | NamedParam[]): params is ParamGroup[] {
  return params.length > 0 && 'params' in params[0];
}

function checkNonNegative(owner: string, what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${owner}: ${what} must be a finite number >= 0, got ${value}`);
}

/**
 * Shared machinery: param groups with lr multipliers, eager slot variables, per-parameter step counts,
 * gradient validation, leak-free updates (everything inside one tf.tidy) and state save/restore.
 */
export abstract class Optimizer implements Stateful {
  /** Name used in error messages and saved state (e.g. `AdamW`). */
  abstract readonly kind: string;
  readonly groups: readonly ResolvedGroup[];
  /** lr used by `step` when none is passed. */
  lr: number;
  private readonly paramIndex = new Map<string, NamedParam>();
  private readonly slots = new Map<string, Record<string, tf.Variable>>();
  private readonly steps = new Map<string, number>();
  private readonly slotSpecs: readonly SlotSpec[];
  /** Scalars shared by all parameters within one `step` (created inside its tidy). */
  private readonly stepScalars = new Map<number, tf.Scalar>();
  private disposed = false;

  protected constructor(params: ParamGroup[] | NamedParam[], defaults: OptimizerDefaults, slotSpecs: SlotSpec[]) {
    const owner = new.target.name;
    checkNonNegative(owner, 'lr', defaults.lr);
    checkNonNegative(owner, 'weightDecay', defaults.weightDecay);
    this.lr = defaults.lr;
    this.slotSpecs = slotSpecs;
    const groupList: ParamGroup[] = isGroupList(params) ? params : [{ params: params as NamedParam[] }];
    this.groups = groupList.map((group, i) => {
      const resolved: ResolvedGroup = {
        params: [...group.params],
        lrScale: group.lrScale ?? 1,
        weightDecay: group.weightDecay ?? defaults.weightDecay,
      };
      checkNonNegative(owner, `group ${i} lrScale`, resolved.lrScale);
      checkNonNegative(owner, `group ${i} weightDecay`, resolved.weightDecay);
      return resolved;
    });
    for (const group of this.groups) {
      for (const param of group.params) {
        if (this.paramIndex.has(param.name)) throw new Error(`${owner}: parameter '${param.name}' appears in more than one group`);
        if (param.variable.dtype !== 'float32') {
          throw new Error(`${owner}: parameter '${param.name}' has dtype ${param.variable.dtype}, expected float32`);
        }
        this.paramIndex.set(param.name, param);
        this.steps.set(param.name, 0);
        const slotVars: Record<string, tf.Variable> = {};
        for (const spec of slotSpecs) {
          slotVars[spec.name] = tf.tidy(() => tf.variable(tf.fill(param.variable.shape, spec.fill), false));
        }
        this.slots.set(param.name, slotVars);
      }
    }
  }

  /** Updates one parameter in place. Called inside a tf.tidy; assign results to `variable` and `slots`. */
  protected abstract updateParam(
    variable: tf.Variable,
    grad: tf.Tensor,
    slots: Record<string, tf.Variable>,
    ctx: UpdateContext,
  ): void;

  /**
   * Applies one update. `lr` is the scheduler's lr (default `this.lr`); each group uses lr × lrScale.
   * Parameters without an entry in `grads` are skipped (like torch params whose grad is None).
   */
  step(grads: Grads, lr: number = this.lr): void {
    this.checkNotDisposed('step');
    checkNonNegative(`${this.kind}.step`, 'lr', lr);
    for (const [name, grad] of Object.entries(grads)) {
      const param = this.paramIndex.get(name);
      if (!param) throw new Error(`${this.kind}.step: gradient for unknown parameter '${name}'`);
      if (!tf.util.arraysEqual(grad.shape, param.variable.shape)) {
        throw new Error(
          `${this.kind}.step: gradient for '${name}' has shape [${grad.shape}], parameter has [${param.variable.shape}]`,
        );
      }
    }
    this.stepScalars.clear();
    tf.tidy(() => {
      this.beginStep(grads);
      for (const group of this.groups) {
        for (const param of group.params) {
          const grad = grads[param.name];
          if (grad === undefined) continue;
          const step = (this.steps.get(param.name) ?? 0) + 1;
          const slots = this.slots.get(param.name) as Record<string, tf.Variable>;
          this.updateParam(param.variable, grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32'), slots, {
            lr: lr * group.lrScale,
            weightDecay: group.weightDecay,
            step,
          });
          this.steps.set(param.name, step);
        }
      }
    });
    this.stepScalars.clear();
  }

  /** Hook run inside the step's tf.tidy before any parameter is updated (e.g. global gradient statistics). */
  protected beginStep(_grads: Grads): void {}

  /** float32 scalar for `value`, reused across parameters during the current `step` (fewer tiny allocations). */
  protected scalar(value: number): tf.Scalar {
    let cached = this.stepScalars.get(value);
    if (!cached) {
      cached = tf.scalar(value, 'float32');
      this.stepScalars.set(value, cached);
    }
    return cached;
  }

  /** Number of updates applied to a parameter so far. */
  stepCount(name: string): number {
    const count = this.steps.get(name);
    if (count === undefined) throw new Error(`${this.kind}.stepCount: unknown parameter '${name}'`);
    return count;
  }

  /** Copies of all slots (keys `<param>:<slot>`) and per-parameter step counts. */
  state(): SavedState {
    this.checkNotDisposed('state');
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, slotVars] of this.slots) {
      for (const [slot, variable] of Object.entries(slotVars)) tensors.set(`${name}:${slot}`, variable.clone());
    }
    return { json: { kind: this.kind, lr: this.lr, steps: Object.fromEntries(this.steps) }, tensors };
  }

  /** Restores a state produced by `state()` of an optimizer of the same kind over the same parameters. */
  loadState(saved: SavedState): void {
    this.checkNotDisposed('loadState');
    const owner = `${this.kind}.loadState`;
    if (saved.json.kind !== this.kind) throw new Error(`${owner}: state is for '${String(saved.json.kind)}'`);
    const steps = saved.json.steps as Record<string, unknown> | undefined;
    if (typeof steps !== 'object' || steps === null) throw new Error(`${owner}: json.steps missing`);
    for (const [name, slotVars] of this.slots) {
      const count = steps[name];
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw new Error(`${owner}: json.steps['${name}'] missing or not a non-negative integer`);
      }
      for (const [slot, variable] of Object.entries(slotVars)) {
        const tensor = saved.tensors.get(`${name}:${slot}`);
        if (!tensor) throw new Error(`${owner}: tensor '${name}:${slot}' missing`);
        if (!tf.util.arraysEqual(tensor.shape, variable.shape)) {
          throw new Error(`${owner}: tensor '${name}:${slot}' has shape [${tensor.shape}], expected [${variable.shape}]`);
        }
      }
    }
    tf.tidy(() => {
      for (const [name, slotVars] of this.slots) {
        this.steps.set(name, steps[name] as number);
        for (const [slot, variable] of Object.entries(slotVars)) {
          variable.assign(tf.cast(saved.tensors.get(`${name}:${slot}`) as tf.Tensor, 'float32'));
        }
      }
    });
    if (typeof saved.json.lr === 'number') this.lr = saved.json.lr;
  }

  /** Frees the slot variables; the optimizer must not be used afterwards. */
  dispose(): void {
    for (const slotVars of this.slots.values()) for (const variable of Object.values(slotVars)) variable.dispose();
    this.slots.clear();
    this.disposed = true;
  }

  private checkNotDisposed(method: string): void {
    if (this.disposed) throw new Error(`${this.kind}.${method}: optimizer was disposed`);
  }

  /** Slot names this optimizer keeps per parameter. */
  get slotNames(): string[] {
    return this.slotSpecs.map((spec) => spec.name);
  }
}
