/**
 * The training loop: epochs of steps (per-step seeding so a resumed run replays the same randomness), per-iteration
 * lr schedule, EMA, evaluation, metrics, curves and checkpoints (`last` every epoch and every N steps, `best` by top-1).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { manualSeed } from '@nextnets/core-layers';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { deriveSeed, ProgressiveSchedule } from '@nextnets/data-augment';
import { type EpochOverrides } from '@nextnets/data-augment/node';
import { stringify as toYaml } from 'yaml';
import type { Recipe } from '../recipes/schema.js';
import { findResumableCheckpoint, readCheckpointState, restoreCheckpoint, saveCheckpoint, saveWeightsCheckpoint, type TrainingPosition } from './checkpoint.js';
import { renderCurves } from './curves.js';
import { writeCurves } from './curves-files.js';
import { mixupOptions, trainTransform } from './data.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { MetricsLog, type EpochSummary } from './metrics-log.js';
import { ProgressBar } from './progress.js';
import type { TrainingSetup } from './setup.js';
import { parallelTrainStep, trainStep, type LossConfig } from './step.js';
import type { DataParallel } from '@nextnets/parallel';

export interface TrainerOptions {
  outDir: string;
  /** Continue from `<outDir>/last`. */
  resume?: boolean;
  /** Extra lines for `config.yaml`'s header (backend, command). */
  header?: string[];
  log?: (line: string) => void;
  /** Data-parallel replicas of the model (`--replicas N`): steps and evaluation split each batch across them. */
  parallel?: DataParallel;
}

export interface TrainResult {
  steps: number;
  epochs: number;
  final?: EvalResult;
  finalEma?: EvalResult;
  bestTop1: number | null;
  seconds: number;
}

export class Trainer {
  private readonly metrics: MetricsLog;
  private readonly log: (line: string) => void;
  private position: TrainingPosition = { epoch: 0, batchInEpoch: 0, step: 0 };
  private bestTop1: number | null = null;
  private readonly progressive?: ProgressiveSchedule;

  constructor(
    readonly setup: TrainingSetup,
    readonly options: TrainerOptions,
  ) {
    mkdirSync(options.outDir, { recursive: true });
    this.metrics = new MetricsLog(join(options.outDir, 'metrics.jsonl'));
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    const p = setup.recipe.progressive;
    if (p) {
      this.progressive = new ProgressiveSchedule({
        trainSize: setup.recipe.data.imageSize,
        stages: p.stages,
        ibase: p.ibase,
        minMagnitude: p.minMagnitude,
        maxMagnitude: p.maxMagnitude,
        mixupAlpha: p.mixupAlpha,
        cutmixAlpha: p.cutmixAlpha,
        total: setup.recipe.schedule.epochs,
      });
    }
  }

  get recipe(): Recipe {
    return this.setup.recipe;
  }

  /** Writes `config.yaml` (resolved recipe) and `classes.json`, or restores state when resuming. */
  private start(): void {
    const { outDir } = this.options;
    if (this.options.resume) {
      const dir = findResumableCheckpoint(outDir);
      if (dir) {
        const state = readCheckpointState(dir);
        restoreCheckpoint(dir, this.setup, state);
        this.position = { epoch: state.epoch, batchInEpoch: state.batchInEpoch, step: state.step };
        this.bestTop1 = state.bestTop1;
        this.metrics.truncateAfter(state.step);
        this.log(`resuming from ${dir} at epoch ${state.epoch + 1}, step ${state.step}`);
        return;
      }
      this.log(`no checkpoint in ${outDir} yet: starting from scratch`);
    }
    if (!this.options.resume && existsSync(join(outDir, 'last'))) {
      this.log(`note: ${outDir} already holds a run; it will be overwritten (use --resume ${outDir} to continue it)`);
    }
    this.metrics.truncateAfter(-1);
    const header = (this.options.header ?? []).map((l) => `# ${l}\n`).join('');
    writeFileAtomic(join(outDir, 'config.yaml'), `${header}# lr after batch scaling: ${this.setup.lr}\n${toYaml(this.recipe)}`);
    writeFileAtomic(join(outDir, 'classes.json'), `${JSON.stringify(this.setup.data.classes)}\n`);
  }

  private epochOverrides(epoch: number): EpochOverrides {
    if (!this.progressive) return {};
    const stage = this.progressive.stageFor(epoch);
    const { recipe, data } = this.setup;
    return {
      transform: trainTransform(recipe, data.channels, stage.imageSize, stage.randAugmentMagnitude),
      mixup: mixupOptions(recipe, data.classes.length, { mixup: stage.mixupAlpha, cutmix: stage.cutmixAlpha }) ?? null,
    };
  }

  private saveLast(): void {
    saveCheckpoint(join(this.options.outDir, 'last'), this.setup, this.position, { seed: this.recipe.seed, bestTop1: this.bestTop1 });
  }

  private lossConfig(): LossConfig {
    const { recipe, model } = this.setup;
    return {
      smoothing: recipe.augment.smoothing,
      l2WeightDecay: recipe.train.l2Loss ? recipe.optimizer.weightDecay : 0,
      noDecay: (name) => model.noWeightDecay(name),
    };
  }

  /** Trains one epoch from `position.batchInEpoch`; returns the mean loss of the batches run, or null if stopped early. */
  private async trainEpoch(epoch: number): Promise<number> {
    const { model, params, optimizer, scheduler, ema, train, stepsPerEpoch, totalSteps } = this.setup;
    const loss = this.lossConfig();
    const label = `epoch ${epoch + 1}/${this.recipe.schedule.epochs}`;
    const skip = this.position.batchInEpoch;
    const bar = new ProgressBar(label, stepsPerEpoch, process.stderr, skip);
    const checkpointEvery = this.recipe.train.checkpointEvery;
    let lossSum = 0;
    let batches = 0;
    let index = 0;
    let lastTime = performance.now();
    model.train();
    for await (const batch of train.epoch(epoch, this.epochOverrides(epoch))) {
      if (index++ < skip || this.position.step >= totalSteps) {
        tf.dispose([batch.images, batch.labels, ...(batch.targets ? [batch.targets] : [])]);
        continue;
      }
      // the step's randomness (drop path, dropout) depends only on (seed, step): a resumed run replays it exactly
      const stepSeed = deriveSeed(this.recipe.seed, this.position.step, 0x7a11);
      manualSeed(stepSeed);
      const lr = scheduler.lr;
      const { parallel } = this.options;
      const clipGrad = this.recipe.optimizer.clipGrad;
      let value: number;
      try {
        value = parallel
          ? await parallelTrainStep(parallel, params, optimizer, batch, lr, loss, clipGrad, stepSeed)
          : trainStep(model, params, optimizer, batch, lr, loss, clipGrad);
      } finally {
        tf.dispose([batch.images, batch.labels, ...(batch.targets ? [batch.targets] : [])]);
      }
      scheduler.advance();
      this.position.step += 1;
      this.position.batchInEpoch += 1;
      ema?.update(this.position.step);
      const now = performance.now();
      const imgPerSec = (batch.indices.length * 1000) / Math.max(now - lastTime, 1e-6);
      lastTime = now;
      lossSum += value;
      batches += 1;
      bar.update({ done: this.position.batchInEpoch, loss: value, lr, imgPerSec });
      if (bar.logPoint(this.position.batchInEpoch)) {
        this.metrics.append({ type: 'train', epoch, step: this.position.step, loss: value, lr, imgPerSec });
      }
      if (!Number.isFinite(value)) throw new Error(`training diverged: loss is ${value} at step ${this.position.step}`);
      if (checkpointEvery > 0 && this.position.step % checkpointEvery === 0 && this.position.batchInEpoch < stepsPerEpoch) {
        this.saveLast();
      }
    }
    bar.finish();
    return batches > 0 ? lossSum / batches : NaN;
  }

  private async evaluateEpoch(): Promise<{ result: EvalResult; ema?: EvalResult }> {
    const { model, ema, eval: loader, data } = this.setup;
    const { parallel } = this.options;
    const predict = parallel ? (images: tf.Tensor4D) => parallel.predict(images) : undefined;
    const result = await evaluate(model, loader, data.classes.length, predict);
    if (!ema || !this.recipe.ema?.evaluate) return { result };
    ema.swap();
    try {
      return { result, ema: await evaluate(model, loader, data.classes.length, predict) };
    } finally {
      ema.swap();
    }
  }

  async run(): Promise<TrainResult> {
    const started = performance.now();
    this.start();
    const { totalSteps, scheduler, data } = this.setup;
    const epochs = this.recipe.schedule.epochs;
    let final: EvalResult | undefined;
    let finalEma: EvalResult | undefined;
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    try {
      while (this.position.epoch < epochs && this.position.step < totalSteps) {
        const epoch = this.position.epoch;
        const epochStart = performance.now();
        const trainLoss = await this.trainEpoch(epoch);
        const lastEpoch = epoch + 1 === epochs || this.position.step >= totalSteps;
        const summary: EpochSummary = {
          type: 'epoch',
          epoch,
          step: this.position.step,
          trainLoss,
          lr: scheduler.lr,
          seconds: (performance.now() - epochStart) / 1000,
        };
        if (lastEpoch || (epoch + 1) % this.recipe.train.evalEvery === 0) {
          const { result, ema } = await this.evaluateEpoch();
          Object.assign(summary, { evalLoss: result.loss, top1: result.top1, top5: result.top5 });
          if (ema) Object.assign(summary, { emaTop1: ema.top1, emaTop5: ema.top5 });
          final = result;
          finalEma = ema;
          const emaText = ema ? `, EMA top-1 ${pct(ema.top1)}` : '';
          this.log(`epoch ${epoch + 1}: train loss ${trainLoss.toFixed(4)}, ${data.evalName} loss ${result.loss.toFixed(4)}, top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}${emaText}`);
          if (this.bestTop1 === null || result.top1 > this.bestTop1) {
            this.bestTop1 = result.top1;
            saveWeightsCheckpoint(join(this.options.outDir, 'best'), this.setup.model, this.setup.ema, { epoch, step: this.position.step, top1: result.top1, top5: result.top5 });
          }
        }
        this.metrics.append(summary);
        const records = this.metrics.read();
        const history = records.filter((r): r is EpochSummary => r.type === 'epoch');
        const stepLosses = records.flatMap((r): Array<[number, number]> => (r.type === 'train' ? [[r.step / this.setup.stepsPerEpoch, r.loss]] : []));
        await writeCurves(this.options.outDir, renderCurves(history, `${this.recipe.name ?? this.recipe.model.name}`, stepLosses), this.log);
        this.position = { epoch: epoch + 1, batchInEpoch: 0, step: this.position.step };
        this.saveLast();
      }
    } finally {
      await this.setup.train.close();
      await this.setup.eval.close();
    }
    const result: TrainResult = {
      steps: this.position.step,
      epochs: this.position.epoch,
      final,
      finalEma,
      bestTop1: this.bestTop1,
      seconds: (performance.now() - started) / 1000,
    };
    writeFileAtomic(join(this.options.outDir, 'summary.json'), `${JSON.stringify({ ...result, final: final && { ...final, confusion: undefined }, finalEma: finalEma && { ...finalEma, confusion: undefined } }, null, 2)}\n`);
    return result;
  }
}
