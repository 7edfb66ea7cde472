/**
 * @nextnets/models-efficient — MobileNeXt and EfficientNetV2 on TensorFlow.js. Importing this module registers the
 * `mobilenext_*` and (tf_)efficientnetv2_* variants in the shared registry.
 */
export { createModel, listModels } from '@nextnets/core-layers';
export { MobileNeXt, MOBILENEXT_DEFAULTS, MOBILENEXT_STAGES, MOBILENEXT_VARIANTS, mobilenextConfig } from './mobilenext.js';
export type { MobileNeXtConfig, SandglassStage } from './mobilenext.js';
export { SandglassBlock, sandglassCase, sandglassHiddenChannels } from './sandglass.js';
export type { SandglassBlockOptions, SandglassCase } from './sandglass.js';
export { EfficientNetV2, EFFICIENTNETV2_VARIANTS, efficientnetv2Config } from './efficientnetv2.js';
export type { EfficientNetV2Config, EfficientNetV2Variant } from './efficientnetv2.js';
export { ConvBnAct, EdgeResidual, InvertedResidual, convPadding, createEfficientBlock } from './efficientnet-blocks.js';
export type { EfficientBlockOptions, PadType } from './efficientnet-blocks.js';
export { decodeStage, roundChannels, scaleRepeats } from './efficientnet-arch.js';
export type { EfficientBlockType, EfficientStageArgs } from './efficientnet-arch.js';
export { makeDivisible } from '@nextnets/core-layers';
