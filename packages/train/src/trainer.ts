/**
 * The training loop shared by every task and front end: epochs of steps with per-step seeding (a resumed run replays
 * the same randomness), a per-iteration lr schedule, gradient clipping, EMA, evaluation, a NaN/∞ guard, metrics.jsonl,
 * curves and checkpoints (`last` every epoch and every N steps, `best` by the task's selection metric), all in a
 * `TrainStorage`. Progress goes out as events (see events.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, manualSeed, valueAndGrads, type ValueAndGrads } from '@nextnets/core-layers';
import { clipGradNorm, type LrScheduler, type ModelEma, type Optimizer } from '@nextnets/optim';
import { findResumableCheckpoint, readCheckpointState, restoreCheckpoint, saveCheckpoint, saveWeightsCheckpoint, type TrainingPosition } from './checkpoint.js';
import { renderCurves, writeCurves } from './curves.js';
import type { TrainerEventName, TrainerEvents, TrainerListener } from './events.js';
import { MetricsLog, type EpochSummary, type StageInfo } from './metrics.js';
import { MemoryStorage, type TrainStorage } from './storage.js';
import type { Evaluation, Predict, ShardableBatch, Task } from './task.js';

/** Batches of one epoch at a time; `@nextnets/data-augment`'s DataLoader is one. */
export interface BatchSource<B, O = unknown> {
  /** Batches per epoch. */
  readonly length: number;
  /** The batches of `epoch` (its order may depend only on the epoch); `overrides` come from `TrainerOptions.stage`. */
  epoch(epoch: number, overrides?: O): AsyncIterable<B>;
  close?(): Promise<void>;
}

/** Computes loss and gradients of a whole batch split across replicas (`DataParallel` of `@nextnets/parallel`). */
export interface ParallelEngine {
  valueAndGrads(batch: ShardableBatch, options: { extraLoss?: () => tf.Scalar; seed?: number }): Promise<ValueAndGrads>;
  /** Eval-mode model output split across the replicas. */
  predict?(images: tf.Tensor4D): Promise<tf.Tensor>;
}

/** What an epoch trains with under progressive learning: loader overrides and the stage record for metrics. */
export interface EpochPlan<O> {
  overrides?: O;
  stage?: StageInfo;
}

export interface TrainerOptions<B, E extends Evaluation, O = unknown> {
  task: Task<B, E>;
  optimizer: Optimizer;
  scheduler: LrScheduler;
  ema?: ModelEma;
  /** Also evaluate the EMA weights (default true when `ema` is set). */
  evaluateEma?: boolean;
  train: BatchSource<B, O>;
  eval?: BatchSource<B, O>;
  epochs: number;
  /** Stop after this many optimizer steps in all (the schedule still spans `epochs`). */
  maxSteps?: number;
  /** Seeds the per-step randomness (drop path, dropout, masks); default 0. */
  seed?: number;
  /** Clip the global gradient norm to this value. */
  clipGrad?: number;
  /** A batch-independent loss term added once per step (e.g. an L2 penalty). */
  regularizer?: () => tf.Scalar;
  /** Evaluate every N epochs (and after the last); default 1. */
  evalEvery?: number;
  /** Also save `last` every N steps (0 = only at epoch ends). */
  checkpointEvery?: number;
  /** Write checkpoints at all (default true). */
  checkpoints?: boolean;
  /** Where files go (default a fresh MemoryStorage). */
  storage?: TrainStorage;
  /** Continue from the storage's `last` checkpoint when there is one. */
  resume?: boolean;
  /** Per-epoch loader overrides and stage record (progressive learning). */
  plan?: (epoch: number) => EpochPlan<O>;
  /** Data-parallel replicas for the steps and the evaluation. */
  parallel?: ParallelEngine;
  /** Renders curves.svg to PNG bytes for curves.png (`svgToPng` of `@nextnets/train/node`); none = SVG only. */
  renderPng?: (svg: string) => Promise<Uint8Array>;
  /** Title of the curves chart. */
  title?: string;
  /** Files written when a run starts fresh (e.g. config.yaml, classes.json). */
  startFiles?: Record<string, string>;
  /** Train records per epoch in metrics.jsonl (default 20). */
  logPoints?: number;
}

export interface TrainResult<E extends Evaluation = Evaluation> {
  steps: number;
  epochs: number;
  final?: E;
  finalEma?: E;
  /** Best value of the task's selection metric (null without evaluation or metric). */
  best: number | null;
  seconds: number;
}

function epochLogEvery(stepsPerEpoch: number, points: number): number {
  return Math.max(1, Math.round(stepsPerEpoch / points));
}

/** An evaluation's numbers for summaries: loss, count and the metrics (no matrices). */
function flatEvaluation(e: Evaluation | undefined): Record<string, number> | undefined {
  return e && { loss: e.loss, count: e.count, ...e.metrics };
}

export class Trainer<B, E extends Evaluation = Evaluation, O = unknown> {
  readonly storage: TrainStorage;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly metrics: MetricsLog;
  private readonly listeners = new Map<TrainerEventName, Array<(event: never) => void | Promise<void>>>();
  private position: TrainingPosition = { epoch: 0, batchInEpoch: 0, step: 0 };
  private best: number | null = null;
  private readonly seed: number;

  constructor(readonly options: TrainerOptions<B, E, O>) {
    const { epochs, train } = options;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`Trainer: epochs must be a positive integer, got ${epochs}`);
    if (train.length < 1) throw new Error('Trainer: the training data has no batches');
    this.storage = options.storage ?? new MemoryStorage();
    this.metrics = new MetricsLog(this.storage);
    this.seed = options.seed ?? 0;
    this.stepsPerEpoch = train.length;
    const epochSteps = epochs * train.length;
    this.totalSteps = Math.min(epochSteps, options.maxSteps ?? epochSteps);
  }

  /** Subscribes to a progress event; listeners run in order and are awaited. */
  on<K extends TrainerEventName>(name: K, listener: TrainerListener<E, K>): this {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as (event: never) => void | Promise<void>);
    this.listeners.set(name, list);
    return this;
  }

  private async emit<K extends TrainerEventName>(name: K, event: TrainerEvents<E>[K]): Promise<void> {
    for (const listener of this.listeners.get(name) ?? []) await (listener as TrainerListener<E, K>)(event);
  }

  private log(message: string): Promise<void> {
    return this.emit('log', { message });
  }

  private get objects() {
    const { task, optimizer, scheduler, ema } = this.options;
    return { model: task.model, optimizer, scheduler, ema };
  }

  /** Restores the last checkpoint when resuming, else writes the start files. */
  private async start(): Promise<string | undefined> {
    const { storage } = this;
    if (this.options.resume) {
      const dir = await findResumableCheckpoint(storage);
      if (dir) {
        const state = await readCheckpointState(storage, dir);
        await restoreCheckpoint(storage, dir, this.objects, state);
        this.position = { epoch: state.epoch, batchInEpoch: state.batchInEpoch, step: state.step };
        this.best = state.best;
        await this.metrics.truncateAfter(state.step);
        return dir;
      }
      await this.log(`no checkpoint in ${storage.location} yet: starting from scratch`);
    }
    await this.metrics.truncateAfter(-1);
    for (const [path, text] of Object.entries(this.options.startFiles ?? {})) await storage.write(path, text);
    return undefined;
  }

  private async saveLast(): Promise<void> {
    if (this.options.checkpoints === false) return;
    const { task } = this.options;
    await saveCheckpoint(this.storage, 'last', this.objects, this.position, { seed: this.seed, best: this.best }, task.checkpointFiles?.() ?? {});
  }

  /** One optimizer step on `batch`; returns the loss. Frees every tensor it made. */
  private async step(batch: B, lr: number, stepSeed: number): Promise<number> {
    const { task, parallel, regularizer, optimizer, clipGrad } = this.options;
    const ctx = { step: this.position.step, seed: this.seed };
    let result: ValueAndGrads;
    if (parallel) {
      if (!task.shard) throw new Error(`Trainer: the ${task.name} task cannot be split across replicas (no shard())`);
      const shard = task.shard(batch, ctx);
      try {
        result = await parallel.valueAndGrads(shard, { extraLoss: regularizer, seed: stepSeed });
      } finally {
        tf.dispose(Object.values(shard.tensors));
      }
    } else {
      result = valueAndGrads(task.model, () =>
        tf.tidy(() => {
          const loss = task.loss(batch, ctx);
          return regularizer ? (tf.add(loss, regularizer()) as tf.Scalar) : loss;
        }),
      );
    }
    const { value, grads } = result;
    try {
      if (clipGrad !== undefined) clipGradNorm(grads, clipGrad);
      const loss = value.dataSync()[0];
      // the NaN/∞ guard: a diverged step must not reach the weights (or the checkpoint)
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss is ${loss} at step ${this.position.step + 1}`);
      optimizer.step(grads, lr);
      return loss;
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  }

  /** Trains one epoch from `position.batchInEpoch`; returns the mean loss of the batches run (NaN if none). */
  private async trainEpoch(epoch: number, plan: EpochPlan<O>): Promise<number> {
    const { task, scheduler, ema, train, epochs } = this.options;
    const { stepsPerEpoch, totalSteps } = this;
    const skip = this.position.batchInEpoch;
    const checkpointEvery = this.options.checkpointEvery ?? 0;
    const logEvery = epochLogEvery(stepsPerEpoch, this.options.logPoints ?? 20);
    await this.emit('epochStart', { epoch, epochs, stepsPerEpoch, skip, stage: plan.stage ?? {} });
    let lossSum = 0;
    let batches = 0;
    let index = 0;
    let lastTime = performance.now();
    task.model.train();
    for await (const batch of train.epoch(epoch, plan.overrides)) {
      if (index++ < skip || this.position.step >= totalSteps) {
        task.disposeBatch(batch);
        continue;
      }
      // the step's randomness (drop path, dropout) depends only on (seed, step): a resumed run replays it exactly
      const stepSeed = deriveSeed(this.seed, this.position.step, 0x7a11);
      manualSeed(stepSeed);
      const lr = scheduler.lr;
      const size = task.batchSize(batch);
      let loss: number;
      try {
        loss = await this.step(batch, lr, stepSeed);
      } finally {
        task.disposeBatch(batch);
      }
      scheduler.advance();
      this.position.step += 1;
      this.position.batchInEpoch += 1;
      ema?.update(this.position.step);
      const now = performance.now();
      const imgPerSec = (size * 1000) / Math.max(now - lastTime, 1e-6);
      lastTime = now;
      lossSum += loss;
      batches += 1;
      const done = this.position.batchInEpoch;
      const logged = done % logEvery === 0 || done === stepsPerEpoch;
      if (logged) await this.metrics.append({ type: 'train', epoch, step: this.position.step, loss, lr, imgPerSec });
      await this.emit('step', { epoch, step: this.position.step, batchInEpoch: done, stepsPerEpoch, loss, lr, imgPerSec, logged });
      if (checkpointEvery > 0 && this.position.step % checkpointEvery === 0 && done < stepsPerEpoch) await this.saveLast();
    }
    const trainLoss = batches > 0 ? lossSum / batches : NaN;
    await this.emit('epochTrained', { epoch, trainLoss });
    return trainLoss;
  }

  private async evaluate(): Promise<{ result: E; ema?: E } | undefined> {
    const { task, ema, parallel } = this.options;
    const source = this.options.eval;
    if (!source || !task.evaluate) return undefined;
    const predict: Predict | undefined = parallel?.predict ? (images) => parallel.predict!(images) : undefined;
    const result = await task.evaluate(source.epoch(0), predict);
    if (!ema || this.options.evaluateEma === false) return { result };
    ema.swap();
    try {
      return { result, ema: await task.evaluate(source.epoch(0), predict) };
    } finally {
      ema.swap();
    }
  }

  private async writeCurves(records: Awaited<ReturnType<MetricsLog['read']>>): Promise<void> {
    const history = records.filter((r): r is EpochSummary => r.type === 'epoch');
    const stepLosses = records.flatMap((r): Array<[number, number]> => (r.type === 'train' ? [[r.step / this.stepsPerEpoch, r.loss]] : []));
    const svg = renderCurves(history, this.options.title ?? this.options.task.name, stepLosses);
    await writeCurves(this.storage, svg, this.options.renderPng, (message) => this.log(message));
  }

  /** Runs (or, with `resume`, continues) the training; resolves to the final numbers. */
  async run(): Promise<TrainResult<E>> {
    const started = performance.now();
    const { task, scheduler, epochs } = this.options;
    const evalEvery = this.options.evalEvery ?? 1;
    let final: E | undefined;
    let finalEma: E | undefined;
    try {
      const resumedFrom = await this.start();
      await this.emit('start', { epoch: this.position.epoch, step: this.position.step, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps, resumedFrom });
      while (this.position.epoch < epochs && this.position.step < this.totalSteps) {
        const epoch = this.position.epoch;
        const epochStart = performance.now();
        const plan = this.options.plan?.(epoch) ?? {};
        const trainLoss = await this.trainEpoch(epoch, plan);
        const lastEpoch = epoch + 1 === epochs || this.position.step >= this.totalSteps;
        const summary: EpochSummary = {
          type: 'epoch',
          epoch,
          step: this.position.step,
          trainLoss,
          lr: scheduler.lr,
          seconds: (performance.now() - epochStart) / 1000,
          ...plan.stage,
        };
        if (lastEpoch || (epoch + 1) % evalEvery === 0) {
          const evaluated = await this.evaluate();
          if (evaluated) {
            const { result, ema } = evaluated;
            Object.assign(summary, { evalLoss: result.loss, ...result.metrics });
            if (ema) for (const [name, value] of Object.entries(ema.metrics)) summary[`ema${name[0].toUpperCase()}${name.slice(1)}`] = value;
            final = result;
            finalEma = ema;
            await this.emit('evaluated', { epoch, result, ema });
            const metric = task.selectionMetric;
            const value = metric === undefined ? undefined : result.metrics[metric];
            if (value !== undefined && this.options.checkpoints !== false && (this.best === null || value > this.best)) {
              this.best = value;
              await saveWeightsCheckpoint(this.storage, 'best', task.model, this.options.ema, { epoch, step: this.position.step, loss: result.loss, ...result.metrics }, task.checkpointFiles?.() ?? {});
            }
          }
        }
        await this.metrics.append(summary);
        await this.writeCurves(await this.metrics.read());
        await task.epochEnd?.({ epoch, storage: this.storage, log: (message) => void this.log(message) });
        this.position = { epoch: epoch + 1, batchInEpoch: 0, step: this.position.step };
        await this.saveLast();
        await this.emit('epochEnd', { summary });
      }
    } finally {
      await this.options.train.close?.();
      await this.options.eval?.close?.();
    }
    const result: TrainResult<E> = {
      steps: this.position.step,
      epochs: this.position.epoch,
      final,
      finalEma,
      best: this.best,
      seconds: (performance.now() - started) / 1000,
    };
    const summary = { ...result, final: flatEvaluation(final), finalEma: flatEvaluation(finalEma) };
    await this.storage.write('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    return result;
  }
}
