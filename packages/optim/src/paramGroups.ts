import type * as tf from '@tensorflow/tfjs-core';
import type { NamedParam } from './types';

/** A set of parameters sharing an lr multiplier (layer decay) and a weight decay. */
export interface ParamGroup {
  params: NamedParam[];
  /** Multiplies the scheduler lr for this group (layer-wise lr decay); default 1. */
  lrScale?: number;
  /** Weight decay for this group; default: the optimizer's `weightDecay`. */
  weightDecay?: number;
}

export interface MakeParamGroupsOptions {
  /** Weight decay applied to every parameter not excluded by `noDecay`. */
  weightDecay: number;
  /** True for parameters that must not be decayed; default {@link defaultNoDecay}. */
  noDecay?: (name: string, variable: tf.Variable) => boolean;
  /** Per-parameter lr multiplier (e.g. from {@link layerDecayLrScale}); default 1 for all. */
  lrScale?: (name: string) => number;
}

/**
 * timm / ConvNeXt rule (ConvNeXt's official recipe, main.py/optim_factory.py `get_parameter_groups`, timm `param_groups_weight_decay`):
 * no decay for parameters with ndim <= 1 (biases, norm affine, layer-scale gamma) or named `*.bias`.
 */
export function defaultNoDecay(name: string, variable: tf.Variable): boolean {
  return variable.rank <= 1 || name.endsWith('.bias');
}

/**
 * Splits parameters into groups keyed by (decay / no decay, lrScale), keeping first-seen order.
 * Empty groups are not emitted. Throws on duplicate names or an invalid lrScale.
 */
export function makeParamGroups(params: Iterable<NamedParam>, options: MakeParamGroupsOptions): ParamGroup[] {
  const noDecay = options.noDecay ?? defaultNoDecay;
  const groups = new Map<string, ParamGroup>();
  const seen = new Set<string>();
  for (const param of params) {
    if (seen.has(param.name)) throw new Error(`makeParamGroups: duplicate parameter name '${param.name}'`);
    seen.add(param.name);
    const weightDecay = noDecay(param.name, param.variable) ? 0 : options.weightDecay;
    const lrScale = options.lrScale ? options.lrScale(param.name) : 1;
    if (!Number.isFinite(lrScale) || lrScale < 0) {
      throw new Error(`makeParamGroups: lrScale for '${param.name}' must be a finite number >= 0, got ${lrScale}`);
    }
    const key = `${weightDecay}|${lrScale}`;
    let group = groups.get(key);
    if (!group) {
      group = { params: [], lrScale, weightDecay };
      groups.set(key, group);
    }
    group.params.push(param);
  }
  return [...groups.values()];
}
