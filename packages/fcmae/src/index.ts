/**
 * @nextnets/fcmae: ConvNeXt-V2 fully convolutional masked autoencoder (FCMAE) pre-training, spec §3:
 * random patch masking, the densely emulated sparse encoder, the ConvNeXt-V2 decoder, the masked (norm-pix) loss,
 * a small pre-training loop, and the hand-off to fine-tuning (encoder export, layer-decay fine-tuning).
 */
export { generateRandomMask, upsampleMask, numKept, type NormalSource } from './mask.js';
export { patchify, unpatchify } from './patchify.js';
export { maskedReconstructionLoss, normalizePatches, patchStatistics } from './loss.js';
export { FcmaeEncoder } from './encoder.js';
export { FCMAE, type FcmaeOptions, type FcmaeOutput } from './fcmae.js';
export { unitTruncNormalInit, type FcmaeInit } from './init.js';
export { runTrainLoop, optimizerStep, minimalAugment } from './loop.js';
export type { StepInfo, EpochInfo, TrainLoopOptions, MinimalAugmentOptions } from './loop.js';
