/**
 * Data parallelism over worker threads: the main thread's model is replica 0, and `replicas − 1` workers hold copies
 * built by a factory module. Each batch is split into contiguous shards; every replica computes its shard's loss
 * (scaled by its share of the batch) and gradients, and the main thread adds them up — the gradients of the mean loss
 * over the whole batch, as one replica would compute them (up to float summation order). The main thread keeps the
 * only optimizer, EMA and checkpoint state: before each task the replicas copy its current weights and buffers from
 * a shared block. Like PyTorch DDP without SyncBatchNorm, BatchNorm uses per-shard batch statistics in training.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type Module, type ValueAndGrads } from '@nextnets/core-layers';
import { classificationLoss } from '@nextnets/optim';
import { elementCount, stateLayout, stateVariables } from './layout';
import type { GradsReply, GradsTask, PredictReply, PredictTask, ReplicaFactory, StateEntry, WorkerReply, WorkerStatus, WorkerTask } from './protocol';
import { shardRanges, weightedShardRanges } from './shards';
import { floatData } from './tensor-data';
import { startReplicaWorker } from './start-worker';

export type ForwardModule = Module & { forward(x: tf.Tensor): tf.Tensor };

export interface DataParallelOptions extends ReplicaFactory {
  /** Replicas in all, counting the main thread's model (1 = no workers). */
  replicas: number;
  /** Backend of the worker replicas (default: the active backend, e.g. 'wasm'). */
  backend?: string;
}

export interface ClassificationBatch {
  images: tf.Tensor4D;
  /** int32 class indices [batch]. */
  labels: tf.Tensor1D;
  /** Soft targets [batch, classes] (mixup/cutmix); when set the loss is soft-target cross-entropy. */
  targets?: tf.Tensor2D;
}

export interface ClassificationLossOptions {
  /** Label smoothing of the hard-label cross-entropy. */
  smoothing?: number;
  /** A batch-independent term (e.g. an L2 penalty) added once, on the main thread. */
  extraLoss?: () => tf.Scalar;
  /**
   * Seeds the workers' randomness (drop path, dropout) for this step: replica r gets `seed + r`. The main thread's
   * own randomness is the caller's (e.g. `manualSeed` before the call). With it, a run is reproducible.
   */
  seed?: number;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

/** One worker replica: request/reply with a pending map; keeps the process alive only while tasks are pending. */
class Replica {
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  constructor(
    readonly index: number,
    private readonly worker: Worker,
    readonly grads: Float32Array,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.kind === 'error') waiter.reject(new Error(`DataParallel replica ${index}: ${reply.message}`));
      else waiter.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.failure ??= error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`DataParallel replica ${index} crashed: ${error.message}`)));
    worker.on('exit', (code) => fail(new Error(`DataParallel replica ${index} exited with code ${code}`)));
  }

  /** Resolves once the worker has built its replica (or rejects with its one-line reason). */
  static ready(worker: Worker, index: number): Promise<void> {
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

  run(task: GradsTask, transfer: ArrayBuffer[]): Promise<GradsReply>;
  run(task: PredictTask, transfer: ArrayBuffer[]): Promise<PredictReply>;
  run(task: WorkerTask, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(task.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(task, transfer);
    });
  }

  terminate(): Promise<number> {
    this.failure ??= new Error(`DataParallel replica ${this.index} was closed`);
    return this.worker.terminate();
  }
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
    private readonly model: ForwardModule,
    private readonly layout: StateEntry[],
    private readonly weights: Float32Array,
    private readonly workers: Replica[],
  ) {}

  /**
   * Starts `replicas − 1` worker replicas of `model`. Each worker sets up `backend`, imports `factoryUrl` and calls its
   * `createReplica(factoryArgs)`, which must build the same architecture (same parameter names and shapes; checked).
   */
  static async create(model: ForwardModule, options: DataParallelOptions): Promise<DataParallel> {
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
    const ready = await Promise.allSettled(starting.map(({ worker }, i) => Replica.ready(worker, i + 1)));
    const failed = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(starting.map(({ worker }) => worker.terminate()));
      throw failed.reason as Error;
    }
    const workers = starting.map(({ worker, grads }, i) => {
      worker.unref();
      return new Replica(i + 1, worker, grads);
    });
    return new DataParallel(model, entries, weights, workers);
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
   * Mean classification loss over the whole batch and its gradients (keyed by timm name, like `valueAndGrads`), with
   * the batch split across the replicas. The main model runs in train mode. Caller disposes the results.
   */
  async valueAndGrads(batch: ClassificationBatch, options: ClassificationLossOptions = {}): Promise<ValueAndGrads> {
    const total = batch.images.shape[0];
    const ranges = shardRanges(total, this.replicas);
    const smoothing = options.smoothing ?? 0;
    if (ranges.length > 1) this.publishWeights();
    const images = ranges.length > 1 ? (batch.images.dataSync() as Float32Array) : undefined;
    const labels = ranges.length > 1 ? (batch.labels.dataSync() as Int32Array) : undefined;
    const targets = ranges.length > 1 ? (batch.targets?.dataSync() as Float32Array | undefined) : undefined;
    const [h, w, c] = batch.images.shape.slice(1);
    const classes = batch.targets?.shape[1] ?? 0;
    const replies = ranges.slice(1).map(([start, size], k) => {
      const task: GradsTask = {
        id: this.nextId++,
        kind: 'grads',
        weightsVersion: this.weightsVersion,
        images: images!.slice(start * h * w * c, (start + size) * h * w * c),
        shape: [size, h, w, c],
        labels: labels!.slice(start, start + size),
        targets: targets?.slice(start * classes, (start + size) * classes),
        smoothing,
        scale: size / total,
        seed: options.seed === undefined ? undefined : options.seed + k + 1,
      };
      const transfer = [task.images.buffer, task.labels.buffer, ...(task.targets ? [task.targets.buffer] : [])] as ArrayBuffer[];
      return this.workers[k].run(task, transfer);
    });

    // the main thread's shard, computed while the workers run theirs
    const [, mainSize] = ranges[0];
    this.model.train();
    const own = valueAndGrads(this.model, () =>
      tf.tidy(() => {
        const slice = <T extends tf.Tensor>(t: T): T => (ranges.length > 1 ? (tf.slice(t, 0, mainSize) as T) : t);
        const logits = this.model.forward(slice(batch.images));
        const targets = batch.targets ? slice(batch.targets) : undefined;
        const loss = classificationLoss(logits, { labels: slice(batch.labels), targets }, smoothing);
        const scaled = tf.mul(loss, mainSize / total) as tf.Scalar;
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
    const total = images.shape[0];
    const ranges = this.predictSpeeds ? weightedShardRanges(total, this.predictSpeeds) : shardRanges(total, this.replicas);
    this.model.eval();
    if (ranges.length === 1) return tf.tidy(() => this.model.forward(images) as tf.Tensor2D);
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
      return this.workers[k].run(task, [task.images.buffer as ArrayBuffer]);
    });
    const started = performance.now();
    const own = tf.tidy(() => this.model.forward(tf.slice(images, 0, ranges[0][1])) as tf.Tensor2D);
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
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
