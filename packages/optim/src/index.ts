export type { NamedParam, Grads, SavedState, Stateful } from './types';
export { makeParamGroups, defaultNoDecay, type ParamGroup, type MakeParamGroupsOptions } from './paramGroups';
export {
  Optimizer,
  type ResolvedGroup,
  type SlotSpec,
  type UpdateContext,
  type OptimizerDefaults,
} from './optimizers/optimizer';
export { ADAMW_UPDATE_KERNEL, AdamW, type AdamWOptions } from './optimizers/adamw';
export { SGD, type SGDOptions } from './optimizers/sgd';
export { RMSPropTF, type RMSPropTFOptions } from './optimizers/rmsPropTF';
export { LAMB, type LAMBOptions } from './optimizers/lamb';
export { clipGradNorm } from './clipGradNorm';
export { l2Loss } from './l2Loss';
export type { LrSchedule, WarmupStyle, WarmupOptions } from './schedules/warmup';
export { cosineWithWarmup, type CosineWithWarmupOptions } from './schedules/cosine';
export { stepDecay, type StepDecayOptions } from './schedules/stepDecay';
export { exponentialDecay, type ExponentialDecayOptions } from './schedules/exponentialDecay';
export { constant, type ConstantOptions } from './schedules/constant';
export { scaleLr } from './schedules/scaleLr';
export { layerDecayScales, layerDecayLrScale } from './schedules/layerDecay';
export { LrScheduler } from './schedules/scheduler';
export { ModelEma, type ModelEmaOptions, type EmaWarmup } from './ema';
export {
  crossEntropy,
  softTargetCrossEntropy,
  binaryCrossEntropyWithLogits,
  classificationLoss,
  type ClassificationTargets,
  type CrossEntropyOptions,
} from './losses';
