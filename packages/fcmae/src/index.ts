/**
 * @nextnets/fcmae: ConvNeXt-V2 fully convolutional masked autoencoder (FCMAE) pre-training, ConvNeXt V2 FCMAE; official fcmae.py:
 * random patch masking, the densely emulated sparse encoder, the ConvNeXt-V2 decoder, the masked (norm-pix) loss,
 * pre-training and fine-tuning on @nextnets/train's Trainer, and the hand-off to fine-tuning (encoder export, layer-decay fine-tuning).
 */
export { generateRandomMask, upsampleMask, numKept, type NormalSource } from './mask.js';
export { patchify, unpatchify } from './patchify.js';
export { maskedReconstructionLoss, normalizePatches, patchStatistics } from './loss.js';
export { FcmaeEncoder } from './encoder.js';
export { FCMAE, type FcmaeOptions, type FcmaeOutput } from './fcmae.js';
export { unitTruncNormalInit, type FcmaeInit } from './init.js';
export { minimalAugment, type MinimalAugmentOptions } from './augment.js';
export type { StepInfo, EpochInfo } from './run-trainer.js';
