/**
 * `@nextnets/fcmae/node`: the pre-training and fine-tuning drivers (they read data through the worker-thread
 * DataLoader and write checkpoints to files) and the reconstruction PNG writer (sharp). The main entry (model,
 * masking, loss, training step) is browser-safe.
 */
export { pretrain, createPretrainOptimizer, pretrainNoDecay } from './pretrain.js';
export type { PretrainOptions, PretrainOptimizerOptions, PretrainContext, PretrainResult } from './pretrain.js';
export { exportEncoder, saveEncoderCheckpoint, createFinetuneModel, finetuneParamGroups, finetune } from './finetune.js';
export type { ExportEncoderOptions, FinetuneGroupOptions, FinetuneOptions } from './finetune.js';
export { writeReconstructionPng, type ReconstructionPngOptions } from './reconstruction.js';
