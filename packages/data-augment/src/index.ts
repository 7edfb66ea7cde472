export type { Image, Uint8Image } from './image';
export { createImage, toRgb, toUint8 } from './image';
export { Rng, deriveSeed, sampleRng } from './random';
export { resize, resizeRegion, crop, INTERPOLATIONS, type Interpolation, type Box } from './resample';

export type { Dataset, DatasetDescriptor, Sample, SkippedFile } from './datasets/types';
export { SampleDecodeError } from './datasets/types';
export { SyntheticShapes, SHAPES, type SyntheticShapesOptions } from './datasets/syntheticShapes';
export { splitDataset, Subset, RgbDataset, toRgbDataset } from './datasets/split';

export type { Transform, TransformSpec } from './transforms/types';
export { compose } from './transforms/compose';
export { randomResizedCrop, sampleCropBox, type RandomResizedCropOptions } from './transforms/randomResizedCrop';
export { randomCropPad, samplePadCropBox, padCrop, type RandomCropPadOptions } from './transforms/randomCropPad';
export { horizontalFlip, flipImage } from './transforms/horizontalFlip';
export { colorJitter, type ColorJitterOptions } from './transforms/colorJitter';
export {
  randAugment,
  parseRandAugmentConfig,
  applyRandAugmentOp,
  RAND_TRANSFORMS,
  RAND_INCREASING_TRANSFORMS,
  DEFAULT_FILL,
  type RandAugmentOptions,
  type RandAugmentOpName,
} from './transforms/randAugment';
export { randomErasing, type RandomErasingOptions } from './transforms/randomErasing';
export { normalize, IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD } from './transforms/normalize';
export { resizeCenterCrop, type ResizeCenterCropOptions } from './transforms/resizeCenterCrop';
export { squashResize, type SquashResizeOptions } from './transforms/squashResize';
export { toRgbTransform } from './transforms/toRgbTransform';
export {
  mixupCutmix,
  mixupTargets,
  cutmixBox,
  type MixupCutmix,
  type MixupCutmixOptions,
  type Batch,
  type MixedBatch,
} from './transforms/mixupCutmix';
export { buildTrainTransform, buildEvalTransform, type TrainTransformOptions, type EvalTransformOptions } from './transforms/factory';
export { transformFromSpec } from './transforms/fromSpec';

export { ProgressiveSchedule, efficientNetV2Schedule, EFFICIENTNETV2_PROGRESSIVE, type ProgressiveOptions, type ProgressiveStage } from './progressive';
export { assembleBatch, type AssembledBatch, type BatchRequest } from './batch';
