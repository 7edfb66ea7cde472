/**
 * @nextnets/train: one training engine for every front end (the `nextnets` CLI, scripts, the browser). A `Trainer`
 * runs a `Task` (classification, FCMAE, or your own) with an optimizer, a per-iteration lr schedule, EMA, evaluation,
 * resumable checkpoints, metrics.jsonl and curves, in a `TrainStorage`. This entry is browser-safe; the Node
 * filesystem storage and PNG rendering are in `@nextnets/train/node`.
 */
export { Trainer } from './trainer.js';
export type { BatchSource, EpochPlan, ParallelEngine, TrainerOptions, TrainResult } from './trainer.js';
export type { TrainerEventName, TrainerEvents, TrainerListener } from './events.js';
export type { EpochEndContext, Evaluation, Predict, ShardableBatch, StepContext, Task } from './task.js';
export { classificationTask, classificationShardLoss, evaluateClassifier } from './tasks/classification.js';
export type {
  ClassificationBatch,
  ClassificationEvaluation,
  ClassificationLossOptions,
  ClassificationTaskOptions,
  Classifier,
} from './tasks/classification.js';
export { fcmaeTask, fcmaeShardLoss } from './tasks/fcmae.js';
export type { FcmaeTaskOptions, MaskedAutoencoder, MaskedImageBatch, ReconstructionSample } from './tasks/fcmae.js';
export { MemoryStorage, joinPath, readText, replaceFolder } from './storage.js';
export type { TrainStorage } from './storage.js';
export { MetricsLog } from './metrics.js';
export type { EpochSummary, MetricsRecord, StageInfo, TrainPoint } from './metrics.js';
export { renderCurves, epochTicks, paddedRange, writeCurves } from './curves.js';
export {
  findResumableCheckpoint,
  readCheckpointState,
  restoreCheckpoint,
  saveCheckpoint,
  saveWeightsCheckpoint,
} from './checkpoint.js';
export type { CheckpointState, EpochProgress, TrainingObjects, TrainingPosition } from './checkpoint.js';
