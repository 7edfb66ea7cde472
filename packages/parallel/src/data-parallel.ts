/**
 * Data parallelism over worker threads: the main thread's model is replica 0, and `replicas − 1` workers hold copies
 * built by a factory module. Each batch (named tensors sharing their first axis) is split into contiguous shards;
 * every replica computes its shard's loss (the task's: classification by default, FCMAE's masked reconstruction, …)
 * (scaled by its share of the batch) and gradients, and the main thread adds them up — the gradients of the mean loss
 * over the whole batch, as one replica would compute them (up to float summation order). The main thread keeps the
 * only optimizer, EMA and checkpoint state: before each task the replicas copy its current weights and buffers from
 * a shared block. Like PyTorch DDP without SyncBatchNorm, BatchNorm uses per-shard batch statistics in training.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type Module, type ValueAndGrads } from '@nextnets/core-layers';
import { WorkerRpc } from '@nextnets/core-layers/node';
import { elementCount, stateLayout, stateVariables } from './layout';
import type { GradsReply, GradsTask, PredictReply, PredictTask, ReplicaFactory, ShardTensor, StateEntry, WorkerReply, WorkerStatus, WorkerTask } from './protocol';
import { defaultShardLoss, type ShardLoss } from './shard-loss';
import { shardRanges, weightedShardRanges } from './shards';
import { floatData } from './tensor-data';
import { startReplicaWorker } from './start-worker';

export type ForwardModule = Module & { forward(x: tf.Tensor): tf.Tensor };

export interface DataParallelOptions extends ReplicaFactory {
  /** Replicas in all, counting the main thread's model (1 = no workers). */
  replicas: number;
  /** Backend of the worker replicas (default: the active backend, e.g. 'wasm'). */
  backend?: string;
  /**
   * The main thread's shard loss; the factory module's `replicaLoss` export must compute the same on the workers.
   * Default (both sides): the classification loss.
   */
  loss?: ShardLoss;
}

/** A batch: tensors that all have the batch size as their first dimension (undefined entries are skipped). */
/** @deprecated the options are no longer classification-only: use `ValueAndGradsOptions`. */
export type ClassificationLossOptions = ValueAndGradsOptions;

export type ShardableTensors = Record<string, tf.Tensor | undefined>;

export interface ClassificationBatch {
  images: tf.Tensor4D;
  /** int32 class indices [batch]. */
  labels: tf.Tensor1D;
  /** Soft targets [batch, classes] (mixup/cutmix); when set the loss is soft-target cross-entropy. */
  targets?: tf.Tensor2D;
}

export interface ValueAndGradsOptions {
  /** Options of the shard loss (structured-clonable; the default classification loss takes `{ smoothing }`). */
  lossOptions?: unknown;
  /** Label smoothing of the default classification loss (shorthand for `lossOptions: { smoothing }`). */
  smoothing?: number;
  /** A batch-independent term (e.g. an L2 penalty) added once, on the main thread. */
  extraLoss?: () => tf.Scalar;
  /**
   * Seeds the workers' randomness (drop path, dropout) for this step: replica r gets `seed + r`. The main thread's
   * own randomness is the caller's (e.g. `manualSeed` before the call). With it, a run is reproducible.
   */
  seed?: number;
}

/** Resolves once the worker has built its replica (or rejects with its one-line reason). */
function replicaReady(worker: Worker, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (status: WorkerStatus): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (status.kind === 'ready') resolve();
      else reject(new Error(`DataParallel replica ${index}: ${status.message}`));
    };
    const onError = (error: Error): void => {
      worker.off('message', onMessage);
      reject(new Error(`DataParallel replica ${index} crashed: ${error.message}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

/** One worker replica: its RPC channel and its gradients block. */
interface Replica {
  rpc: WorkerRpc<WorkerTask, WorkerReply>;
  grads: Float32Array;
}

/** A tensor's rows [start, start + size) as shard data (float32 or int32). */
function shardOf(name: string, t: tf.Tensor, data: Float32Array | Int32Array, start: number, size: number): ShardTensor {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { name, data: data.slice(start * row, (start + size) * row), shape: [size, ...t.shape.slice(1)], dtype: t.dtype === 'int32' ? 'int32' : 'float32' };
}

export class DataParallel {
  private nextId = 0;
  /** Bumped whenever the shared weights block is rewritten. */
  private weightsVersion = 0;
  /** The tensor data each state variable held when last published (`assign` gives a variable new data). */
  private published: object[] = [];
  /** Each replica's recent eval-forward speed (images per ms, smoothed), once measured: `predict` splits by it. */
  private predictSpeeds: number[] | undefined;

  private constructor(
    private readonly model: Module,
    private readonly layout: StateEntry[],
    private readonly weights: Float32Array,
    private readonly workers: Replica[],
    private readonly loss: ShardLoss,
  ) {}

  /**
   * Starts `replicas − 1` worker replicas of `model`. Each worker sets up `backend`, imports `factoryUrl` and calls its
   * `createReplica(factoryArgs)`, which must build the same architecture (same parameter names and shapes; checked).
   */
  static async create(model: Module, options: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(options.replicas) || options.replicas < 1) {
      throw new Error(`DataParallel: replicas must be a positive integer, got ${options.replicas}`);
    }
    const { entries, totalParams, total } = stateLayout(model);
    const weights = new Float32Array(new SharedArrayBuffer(total * 4));
    const starting: Array<{ worker: Worker; grads: Float32Array }> = [];
    for (let r = 1; r < options.replicas; r++) {
      const grads = new SharedArrayBuffer(totalParams * 4);
      const worker = startReplicaWorker({
        factoryUrl: options.factoryUrl,
        factoryArgs: options.factoryArgs,
        backend: options.backend ?? tf.getBackend(),
        layout: entries,
        weights: weights.buffer as SharedArrayBuffer,
        grads,
      });
      starting.push({ worker, grads: new Float32Array(grads) });
    }
    const ready = await Promise.allSettled(starting.map(({ worker }, i) => replicaReady(worker, i + 1)));
    const failed = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(starting.map(({ worker }) => worker.terminate()));
      throw failed.reason as Error;
    }
    const workers = starting.map(({ worker, grads }, i): Replica => ({
      rpc: new WorkerRpc<WorkerTask, WorkerReply>(worker, `DataParallel replica ${i + 1}`, (reply) => (reply.kind === 'error' ? reply.message : undefined)),
      grads,
    }));
    return new DataParallel(model, entries, weights, workers, options.loss ?? defaultShardLoss);
  }

  /** Replicas in all, the main thread's included. */
  get replicas(): number {
    return this.workers.length + 1;
  }

  /**
   * Publishes the main model's parameters and buffers to the workers, unless no variable was assigned since the last
   * time (tfjs `Variable.assign` always swaps in new tensor data, so comparing data ids detects every update).
   */
  private publishWeights(): void {
    const variables = stateVariables(this.model);
    if (variables.length === this.published.length && variables.every((v, i) => v.dataId === this.published[i])) return;
    variables.forEach((variable, i) => {
      this.weights.set(floatData(variable), this.layout[i].offset);
    });
    this.published = variables.map((v) => v.dataId);
    this.weightsVersion++;
  }

  /**
   * Mean loss over the whole batch and its gradients (keyed by timm name, like `valueAndGrads`), with the batch split
   * across the replicas: each computes the shard loss (`options.loss` here, the factory's `replicaLoss` there) on
   * its rows, scaled by its share. The main model runs in train mode. Caller disposes the results.
   */
  async valueAndGrads(batch: ShardableTensors, options: ValueAndGradsOptions = {}): Promise<ValueAndGrads> {
    const named = Object.entries(batch).filter((entry): entry is [string, tf.Tensor] => entry[1] !== undefined);
    if (named.length === 0) throw new Error('DataParallel.valueAndGrads: the batch has no tensors');
    const total = named[0][1].shape[0];
    const uneven = named.find(([, t]) => t.shape[0] !== total);
    if (uneven) throw new Error(`DataParallel.valueAndGrads: '${uneven[0]}' has ${uneven[1].shape[0]} rows, '${named[0][0]}' has ${total}`);
    const lossOptions = options.lossOptions ?? { smoothing: options.smoothing ?? 0 };
    const ranges = shardRanges(total, this.replicas);
    if (ranges.length > 1) this.publishWeights();
    const data = ranges.length > 1 ? named.map(([, t]) => t.dataSync() as Float32Array | Int32Array) : [];
    const replies = ranges.slice(1).map(([start, size], k) => {
      const task: GradsTask = {
        id: this.nextId++,
        kind: 'grads',
        weightsVersion: this.weightsVersion,
        tensors: named.map(([name, t], i) => shardOf(name, t, data[i], start, size)),
        lossOptions,
        scale: size / total,
        seed: options.seed === undefined ? undefined : options.seed + k + 1,
      };
      return this.workers[k].rpc.run(task, task.tensors.map((t) => t.data.buffer as ArrayBuffer)) as Promise<GradsReply>;
    });

    // the main thread's shard, computed while the workers run theirs
    const [, mainSize] = ranges[0];
    this.model.train();
    const own = valueAndGrads(this.model, () =>
      tf.tidy(() => {
        const shard = Object.fromEntries(named.map(([name, t]) => [name, ranges.length > 1 ? tf.slice(t, 0, mainSize) : t]));
        const scaled = tf.mul(this.loss(this.model, shard, lossOptions), mainSize / total) as tf.Scalar;
        return options.extraLoss ? (tf.add(scaled, options.extraLoss()) as tf.Scalar) : scaled;
      }),
    );
    let settled: GradsReply[];
    try {
      settled = await Promise.all(replies);
    } catch (error) {
      own.value.dispose();
      for (const g of Object.values(own.grads)) g.dispose();
      throw error;
    }
    // the workers' gradients are already scaled by their shares: the batch gradient is the plain sum
    const lossSum = settled.reduce((sum, reply) => sum + reply.loss, 0);
    const value = tf.tidy(() => tf.add(own.value, lossSum) as tf.Scalar);
    own.value.dispose();
    for (const entry of this.layout) {
      const mine = own.grads[entry.name];
      if (entry.kind !== 'param' || !mine) continue;
      const n = elementCount(entry.shape);
      own.grads[entry.name] = tf.tidy(() =>
        settled.reduce<tf.Tensor>(
          // a view, not a copy: the temporary lives only inside this tidy, before the worker writes again
          (sum, _, k) => tf.add(sum, tf.tensor(this.workers[k].grads.subarray(entry.offset, entry.offset + n), entry.shape)),
          mine,
        ),
      );
      mine.dispose();
    }
    return { value, grads: own.grads };
  }

  /**
   * Eval-mode logits [batch, classes] of `images`, the batch split across the replicas in proportion to each one's
   * measured speed on the previous calls (equal shares at first): two cores of one machine often run at different
   * speeds, and an even split would wait for the slower one. Each image's logits do not depend on the split. Caller
   * disposes.
   */
  async predict(images: tf.Tensor4D): Promise<tf.Tensor2D> {
    const model = this.model as ForwardModule;
    if (typeof model.forward !== 'function') throw new Error('DataParallel.predict: the model has no forward()');
    const total = images.shape[0];
    const ranges = this.predictSpeeds ? weightedShardRanges(total, this.predictSpeeds) : shardRanges(total, this.replicas);
    this.model.eval();
    if (ranges.length === 1) return tf.tidy(() => model.forward(images) as tf.Tensor2D);
    this.publishWeights();
    const pixels = images.dataSync() as Float32Array;
    const [h, w, c] = images.shape.slice(1);
    const replies = ranges.slice(1).map(([start, size], k) => {
      const task: PredictTask = {
        id: this.nextId++,
        kind: 'predict',
        weightsVersion: this.weightsVersion,
        images: pixels.slice(start * h * w * c, (start + size) * h * w * c),
        shape: [size, h, w, c],
      };
      return this.workers[k].rpc.run(task, [task.images.buffer as ArrayBuffer]) as Promise<PredictReply>;
    });
    const started = performance.now();
    const own = tf.tidy(() => model.forward(tf.slice(images, 0, ranges[0][1])) as tf.Tensor2D);
    const ownMs = performance.now() - started;
    const settled = await Promise.all(replies).catch((error: unknown) => {
      own.dispose();
      throw error;
    });
    this.updatePredictSpeeds(ranges, [ownMs, ...settled.map((reply) => reply.ms)]);
    const logits = tf.tidy(() =>
      tf.concat([own, ...settled.map((reply) => tf.tensor2d(reply.logits, reply.shape))], 0),
    ) as tf.Tensor2D;
    own.dispose();
    return logits;
  }

  /** Folds this call's images per ms of each replica that had a shard into the smoothed speeds (half old, half new). */
  private updatePredictSpeeds(ranges: Array<[number, number]>, ms: number[]): void {
    const previous = this.predictSpeeds;
    this.predictSpeeds = Array.from({ length: this.replicas }, (_, r) => {
      if (r >= ranges.length) return previous?.[r] ?? 1;
      const measured = ranges[r][1] / Math.max(ms[r], 1e-3);
      return previous ? 0.5 * previous[r] + 0.5 * measured : measured;
    });
  }

  /** Stops the worker replicas (the main model stays usable). */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.rpc.terminate()));
    this.workers.length = 0;
  }
}
