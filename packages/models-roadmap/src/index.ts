/**
 * @nextnets/models-roadmap: the ConvNeXt paper's modernization roadmap (ResNet-50 → ConvNeXt-T, one design
 * decision per step) as registered models built by one configurable class. Importing the package registers the 12
 * steps (`createModel('roadmap_patchify')`).
 */
export { createModel, listModels } from '@nextnets/core-layers';
export {
  ROADMAP_OVERRIDES,
  ROADMAP_STEPS,
  roadmapConfig,
  roadmapStep,
  scaleDepth,
  scaleWidth,
} from './config.js';
export type { RoadmapConfig, RoadmapStep } from './config.js';
export { RoadmapBlock, maxPool3x3s2 } from './blocks.js';
export { PACKAGE_NAME, ROADMAP_PRETRAINED_CFG, RoadmapNet, createRoadmapModel } from './roadmap.js';
