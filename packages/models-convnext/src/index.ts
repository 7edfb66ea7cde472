/**
 * @nextnets/models-convnext: ConvNeXt V1, ConvNeXt V2 and InceptionNeXt with timm names, keys and init.
 * Importing the package registers every variant with the shared registry (`createModel('convnextv2_atto')`).
 */
export { createModel, listModels } from '@nextnets/core-layers';
export { ConvNeXt, CONVNEXT_OVERRIDES, CONVNEXT_PRETRAINED_CFG, convNeXtConfig } from './convnext.js';
export type { ConvNeXtConfig } from './convnext.js';
export { ConvNeXtV2 } from './convnextv2.js';
export { InceptionNeXt, inceptionNeXtConfig } from './inception-next.js';
export type { InceptionNeXtConfig } from './inception-next.js';
export { ConvNeXtBlock, ConvNeXtMlp, NormClassifierHead, Stage, convNeXtDownsample } from './convnext-blocks.js';
export type { ConvNeXtBlockOptions } from './convnext-blocks.js';
export { InceptionDWConv2d, MetaNeXtBlock, MlpClassifierHead, metaNeXtDownsample } from './inception-next-blocks.js';
export type { MetaNeXtBlockOptions } from './inception-next-blocks.js';
export { convNeXtLayerDecay } from './layer-decay.js';
export { checkStageLists } from './overrides.js';
export type { LayerDecayGroups, LayerDecayScheme } from './layer-decay.js';
