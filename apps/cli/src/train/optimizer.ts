/** Optimizer, parameter groups and lr schedule from a recipe (the training settings of the ConvNeXt, ConvNeXt V2, RepVGG and EfficientNetV2 papers). */
import type { ImageClassifier } from '@nextnets/core-layers';
import {
  AdamW,
  constant,
  cosineWithWarmup,
  exponentialDecay,
  layerDecayLrScale,
  makeParamGroups,
  RMSPropTF,
  SGD,
  type LrSchedule,
  type NamedParam,
  type Optimizer,
} from '@nextnets/optim';
import { CliError } from '../cli/errors.js';
import type { Recipe } from '../recipes/schema.js';

export function namedParams(model: ImageClassifier): NamedParam[] {
  return model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
}

/** Per-parameter lr multiplier from the model's layer-decay grouping, or undefined when layer decay is off. */
function layerDecay(recipe: Recipe, model: ImageClassifier): ((name: string) => number) | undefined {
  const { layerDecay: decay, layerDecayScheme } = recipe.optimizer;
  if (decay >= 1) return undefined;
  const groups = model.layerDecayGroups(layerDecayScheme);
  if (!groups) throw new CliError(`model ${recipe.model.name} does not define layer-decay groups; set optimizer.layerDecay to 1`);
  return layerDecayLrScale(groups.layerId, groups.numLayers, decay);
}

/**
 * Builds the optimizer over weight-decay / no-decay groups (the model's `noWeightDecay` rule) with layer-decay lr scales.
 * With `train.l2Loss` the decay is left to the loss term and the optimizer gets weight decay 0.
 */
export function buildOptimizer(recipe: Recipe, model: ImageClassifier, lr: number): Optimizer {
  const o = recipe.optimizer;
  const weightDecay = recipe.train.l2Loss ? 0 : o.weightDecay;
  const groups = makeParamGroups(namedParams(model), {
    weightDecay,
    noDecay: (name) => model.noWeightDecay(name),
    lrScale: layerDecay(recipe, model),
  });
  switch (o.name) {
    case 'adamw':
      return new AdamW(groups, { lr, betas: o.betas, eps: o.eps, weightDecay });
    case 'sgd':
      return new SGD(groups, { lr, momentum: o.momentum ?? 0.9, nesterov: o.nesterov ?? false, weightDecay });
    case 'rmsproptf':
      return new RMSPropTF(groups, { lr, rho: o.rho, momentum: o.momentum, eps: o.eps, weightDecay });
  }
}

/**
 * Warmup iterations of a run. A recipe's warmup that would fill the whole run (e.g. FCMAE's 40 warmup epochs in a
 * 2-epoch trial) becomes a tenth of the run, with a note saying so: a run that never leaves warmup learns little.
 */
export function warmupStepsFor(recipe: Recipe, stepsPerEpoch: number): { steps: number; note?: string } {
  const s = recipe.schedule;
  const totalSteps = Math.max(1, s.epochs * stepsPerEpoch);
  const requested = Math.round(s.warmupEpochs * stepsPerEpoch);
  if (requested < totalSteps) return { steps: requested };
  const steps = Math.round(totalSteps / 10);
  return { steps, note: `note: schedule.warmupEpochs ${s.warmupEpochs} covers the whole ${s.epochs}-epoch run; warming up over its first ${steps} of ${totalSteps} steps instead` };
}

/** Per-iteration lr schedule over `schedule.epochs × stepsPerEpoch` steps. */
export function buildSchedule(recipe: Recipe, lr: number, stepsPerEpoch: number): LrSchedule {
  const s = recipe.schedule;
  const totalSteps = Math.max(1, s.epochs * stepsPerEpoch);
  const warmupSteps = warmupStepsFor(recipe, stepsPerEpoch).steps;
  const warmup = { warmupSteps, warmupLr: s.warmupLr, warmupStyle: s.warmupStyle };
  switch (s.name) {
    case 'cosine':
      return cosineWithWarmup({ baseLr: lr, totalSteps, minLr: s.minLr, ...warmup });
    case 'exponential':
      return exponentialDecay({ baseLr: lr, decayEvery: s.decayEpochs * stepsPerEpoch, rate: s.decayRate, minLr: s.minLr, ...warmup });
    case 'constant':
      return constant({ baseLr: lr, ...warmup });
  }
}
