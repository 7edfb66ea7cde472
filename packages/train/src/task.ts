/**
 * What the Trainer trains: a task supplies the module, what a batch is, the loss, the evaluation metrics and any
 * per-epoch artifacts. The loop never looks inside a batch, so a new task (detection, distillation, …) is one object
 * implementing this interface.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module, TensorData } from '@nextnets/core-layers';
import type { TrainStorage } from './storage.js';

/** Where the trainer is when it asks for a loss: lets a task derive per-step randomness (e.g. FCMAE masks). */
export interface StepContext {
  /** Optimizer steps taken before this one. */
  step: number;
  /** The run's seed. */
  seed: number;
}

/**
 * A batch for data-parallel replicas: tensors that are all split along their first (batch) axis, plus
 * structured-clonable options for the replicas' loss (`shardLoss` of the replica factory).
 */
export interface ShardableBatch {
  tensors: Record<string, tf.Tensor>;
  lossOptions?: unknown;
}

/** An evaluation: the mean loss over the held-out data and the task's metrics (each a number). */
export interface Evaluation {
  loss: number;
  /** Samples evaluated. */
  count: number;
  metrics: Record<string, number>;
}

/** Eval-mode model output for a batch of images, e.g. split across data-parallel replicas. */
export type Predict = (images: tf.Tensor4D) => Promise<tf.Tensor>;

export interface EpochEndContext {
  epoch: number;
  storage: TrainStorage;
  log: (line: string) => void;
}

export interface Task<B = unknown, E extends Evaluation = Evaluation> {
  readonly name: string;
  /** The module whose parameters the optimizer trains (and whose weights the checkpoints hold). */
  readonly model: Module;
  /** Samples in a batch (for images/s). */
  batchSize(batch: B): number;
  /** Frees a batch's tensors. */
  disposeBatch(batch: B): void;
  /** The batch's mean loss in train mode; called inside the gradient tape (and a tidy). */
  loss(batch: B, ctx: StepContext): tf.Scalar;
  /** The batch as shards for data-parallel replicas, whose loss function must equal `loss` on each shard. */
  shard?(batch: B, ctx: StepContext): ShardableBatch;
  /** Evaluates the model (in eval mode) over batches; `predict` replaces the model's forward when given. */
  evaluate?(batches: AsyncIterable<B>, predict?: Predict): Promise<E>;
  /** The metric that picks the `best` checkpoint (higher is better); none = no `best` checkpoint. */
  readonly selectionMetric?: string;
  /** Extra safetensors files saved in every checkpoint folder (FCMAE: the encoder in timm keys). */
  checkpointFiles?(): Record<string, Map<string, TensorData>>;
  /** Runs after each epoch's training and evaluation, e.g. to write reconstruction images. */
  epochEnd?(ctx: EpochEndContext): Promise<void>;
}
