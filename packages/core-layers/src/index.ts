export { Module, Identity, Sequential, withMacCounter, reportMacs, withShapeOnlyInit } from './module.js';
export type { Parameter, StateBuffer, MacCounter, Initializer, Fans } from './module.js';
export { Rng, deriveSeed, manualSeed, defaultRng } from './random.js';
export {
  truncNormal,
  normal,
  uniform,
  torchDefaultInit,
  kaimingNormalFanOutInit,
  zerosInit,
  onesInit,
  constantInit,
  truncNormalInit,
  normalInit,
} from './init.js';
export { torchShape, toTorchLayout, fromTorchLayout } from './layout.js';
export type { ParamLayout } from './layout.js';
export { Conv2d, tfSamePad } from './layers/conv2d.js';
export type { Conv2dOptions, Conv2dPadding } from './layers/conv2d.js';
export { Linear } from './layers/linear.js';
export type { LinearOptions } from './layers/linear.js';
export { BatchNorm2d } from './layers/batchnorm.js';
export type { BatchNorm2dOptions } from './layers/batchnorm.js';
export { LayerNorm, LayerNorm2d, layerNormLastAxis } from './layers/layernorm.js';
export { GlobalResponseNorm } from './layers/grn.js';
export { DropPath, Dropout, dropPath, setDropout } from './layers/drop.js';
export { gelu, silu, relu, relu6, sigmoid, identityActivation, getActivation } from './layers/activations.js';
export type { ActivationName, ActivationFn } from './layers/activations.js';
export { globalAvgPool, globalAvgPoolKeepDims } from './layers/pooling.js';
export { Mlp } from './layers/mlp.js';
export type { MlpOptions } from './layers/mlp.js';
export { SqueezeExcite } from './layers/squeeze-excite.js';
export type { SqueezeExciteOptions } from './layers/squeeze-excite.js';
export { ClassifierHead } from './layers/classifier-head.js';
export { stateDict, loadStateDict, loadSafetensorsBytes, safetensorsBytes } from './state-dict.js';
export type { LoadStateDictOptions, LoadStateDictResult } from './state-dict.js';
export * from './io/index.js';
export { leanGradientsSupported, leanVariableGrads } from './backprop.js';
export { valueAndGrads } from './grads.js';
export type { ValueAndGrads } from './grads.js';
export { profile } from './profile.js';
export type { ProfileResult } from './profile.js';
export { ImageClassifier, IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD } from './classifier.js';
export type { PretrainedCfg } from './classifier.js';
export { registerModel, getModelEntry, createModel, listModels } from './registry.js';
export { pyRound, makeDivisible, dropPathRates } from './builders.js';
export { OverrideReader, checkOverrideKeys, mergeOverrides } from './overrides.js';
export type { ModelEntry, ModelOverrides } from './registry.js';
