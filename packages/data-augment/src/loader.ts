/**
 * DataLoader: shuffles per (seed, epoch), decodes and augments batches in worker threads (or in-process with
 * `workers: 0`) ahead of the consumer, and yields NHWC float32 tensors. Every sample's randomness derives from
 * (seed, epoch, dataset index), so results do not depend on the worker count.
 */
import { startWorkerEntry, WorkerRpc } from '@nextnets/core-layers/node';
import * as tf from '@tensorflow/tfjs-core';
import { assembleBatch, type AssembledBatch, type BatchRequest } from './batch';
import type { Dataset, SkippedFile } from './datasets/types';
import { deriveSeed, Rng } from './random';
import type { MixupCutmixOptions } from './transforms/mixupCutmix';
import type { Transform } from './transforms/types';
import type { WorkerInit, WorkerTask } from './worker';

export interface DataLoaderOptions {
  dataset: Dataset;
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  transform?: Transform;
  /** Batch-level Mixup/CutMix (timm batch mode); adds `targets` to each batch. */
  mixup?: MixupCutmixOptions;
  /** Worker threads (0 = decode in the calling thread). */
  workers?: number;
  /** Batches prepared ahead of the consumer (default 2·max(1, workers)). */
  prefetch?: number;
}

export interface EpochOverrides {
  /** Replaces the loader's transform for this epoch (e.g. a progressive-learning stage). */
  transform?: Transform;
  /** Replaces (or with `null` disables) the loader's mixup for this epoch. */
  mixup?: MixupCutmixOptions | null;
}

export interface LoaderBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  /** Soft targets [N, numClasses] when mixup is configured. */
  targets?: tf.Tensor2D;
  indices: number[];
}

type WorkerReply = { id: number; batch?: AssembledBatch; error?: string };

/** Starts the loader's worker entry (`worker.{js,cjs}` beside this module, or `worker.ts` from source via tsx). */
function startWorker(init: WorkerInit): WorkerRpc<WorkerTask, WorkerReply> {
  const worker = startWorkerEntry(import.meta.url, 'worker', {
    workerData: init,
    missingTsx: 'DataLoader: worker threads from TypeScript source need the `tsx` package (or use workers: 0)',
  });
  return new WorkerRpc<WorkerTask, WorkerReply>(worker, 'DataLoader worker', (reply) => (reply.batch ? undefined : (reply.error ?? 'no batch')));
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly workers: number;
  readonly prefetch: number;
  transform: Transform | undefined;
  mixup: MixupCutmixOptions | undefined;
  /** Files skipped because they failed to decode (each path once). */
  readonly skipped: SkippedFile[] = [];
  private pool: Array<WorkerRpc<WorkerTask, WorkerReply>> | undefined;
  private nextTaskId = 0;

  constructor(options: DataLoaderOptions) {
    this.dataset = options.dataset;
    this.batchSize = options.batchSize;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new Error(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    this.transform = options.transform;
    this.mixup = options.mixup;
    this.workers = options.workers ?? 0;
    if (!(Number.isInteger(this.workers) && this.workers >= 0)) throw new Error(`DataLoader: workers must be an integer >= 0, got ${this.workers}`);
    this.prefetch = Math.max(1, options.prefetch ?? 2 * Math.max(1, this.workers));
    if (this.workers > 0 && !this.dataset.descriptor) {
      throw new Error('DataLoader: this dataset has no descriptor, so worker threads cannot rebuild it; use workers: 0');
    }
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Dataset indices of every batch of `epoch`, in order. */
  batchIndices(epoch: number): number[][] {
    const n = this.dataset.length;
    const order = this.shuffle ? new Rng(deriveSeed(this.seed, epoch, 0x5eed)).permutation(n) : Array.from({ length: n }, (_, i) => i);
    const batches: number[][] = [];
    for (let start = 0; start < n; start += this.batchSize) {
      const chunk = order.slice(start, start + this.batchSize);
      if (chunk.length < this.batchSize && this.dropLast) break;
      batches.push(chunk);
    }
    return batches;
  }

  private startBatch(request: BatchRequest, transform: Transform | undefined, batchIndex: number): Promise<AssembledBatch> {
    if (this.workers === 0) return assembleBatch(this.dataset, transform, request);
    this.pool ??= Array.from({ length: this.workers }, () => startWorker({ dataset: this.dataset.descriptor! }));
    const task: WorkerTask = { id: this.nextTaskId++, request, transform: transform?.spec };
    return this.pool[batchIndex % this.workers].run(task).then((reply) => reply.batch!);
  }

  /** Yields the batches of one epoch; the consumer owns (and must dispose) each batch's tensors. */
  async *epoch(epoch: number, overrides: EpochOverrides = {}): AsyncGenerator<LoaderBatch> {
    const transform = overrides.transform ?? this.transform;
    const mixup = overrides.mixup === null ? undefined : (overrides.mixup ?? this.mixup);
    const batches = this.batchIndices(epoch);
    const inFlight: Promise<AssembledBatch>[] = [];
    let next = 0;
    const fill = () => {
      while (next < batches.length && inFlight.length < this.prefetch) {
        const request: BatchRequest = { indices: batches[next], seed: this.seed, epoch, batchIndex: next, mixup };
        const promise = this.startBatch(request, transform, next);
        // avoid unhandled-rejection noise for batches the consumer never reaches; errors surface when awaited
        promise.catch(() => undefined);
        inFlight.push(promise);
        next++;
      }
    };
    fill();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      fill();
      this.recordSkipped(batch.skipped);
      if (batch.indices.length === 0) continue;
      const [n, h, w, c] = batch.shape;
      yield {
        images: tf.tensor4d(batch.images, [n, h, w, c], 'float32'),
        labels: tf.tensor1d(batch.labels, 'int32'),
        targets: batch.targets ? tf.tensor2d(batch.targets, [n, batch.targets.length / n], 'float32') : undefined,
        indices: batch.indices,
      };
    }
  }

  private recordSkipped(skipped: SkippedFile[]): void {
    for (const file of skipped) if (!this.skipped.some((s) => s.path === file.path)) this.skipped.push(file);
  }

  /** Stops the worker threads (a later epoch starts new ones). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await Promise.all(pool.map((worker) => worker.terminate()));
  }
}
