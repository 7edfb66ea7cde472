/** Messages between DataParallel (main thread) and its worker replicas. */

/** One tensor of the replicated state: a trainable parameter or a buffer (e.g. BatchNorm running stats). */
export interface StateEntry {
  name: string;
  kind: 'param' | 'buffer';
  shape: number[];
  /** Offset in float32 elements inside the shared weights block. */
  offset: number;
}

/**
 * How a worker builds its replica: `createReplica(factoryArgs)` exported by the module at `factoryUrl`. The module may
 * also export `replicaLoss(model, tensors, lossOptions)`, the loss of one shard (default: the classification loss,
 * see `classificationShardLoss`); it must be the loss the main thread uses (`DataParallelOptions.loss`).
 */
export interface ReplicaFactory {
  /** File URL (or package specifier resolvable from the worker) of a module exporting `createReplica`. */
  factoryUrl: string;
  /** Structured-clonable arguments for `createReplica`. */
  factoryArgs?: unknown;
}

export interface WorkerInit extends ReplicaFactory {
  backend: string;
  layout: StateEntry[];
  /** Main thread → replicas: current parameters and buffers, float32, in `layout` order. */
  weights: SharedArrayBuffer;
  /** This replica → main thread: gradients of the parameters (the `param` entries), float32, in `layout` order. */
  grads: SharedArrayBuffer;
}

/** One tensor of a shard, as typed-array data. */
export interface ShardTensor {
  name: string;
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface GradsTask {
  id: number;
  kind: 'grads';
  /** Version of the shared weights block; a replica reloads its weights when it differs from the last it loaded. */
  weightsVersion: number;
  /** The shard: every batch tensor's rows for this replica (e.g. images, labels, targets; images and mask). */
  tensors: ShardTensor[];
  /** Options of the loss (structured-clonable), handed to the replica's `replicaLoss`. */
  lossOptions: unknown;
  /** The shard's loss is multiplied by this (its share of the full batch), so shard gradients add up. */
  scale: number;
  /** Seeds this replica's randomness (drop path, dropout) for the step, when set. */
  seed?: number;
}

export interface PredictTask {
  id: number;
  kind: 'predict';
  weightsVersion: number;
  images: Float32Array;
  shape: [number, number, number, number];
}

export type WorkerTask = GradsTask | PredictTask;

export interface GradsReply {
  id: number;
  kind: 'grads';
  /** The shard's scaled loss. */
  loss: number;
}

export interface PredictReply {
  id: number;
  kind: 'predict';
  logits: Float32Array;
  shape: [number, number];
  /** Milliseconds the replica spent on the forward (its speed steers the next split). */
  ms: number;
}

/** A task's reply has the task's kind, or is an error. */
export type WorkerReply = GradsReply | PredictReply | { id: number; kind: 'error'; message: string };

export type WorkerStatus = { kind: 'ready' } | { kind: 'error'; message: string };
