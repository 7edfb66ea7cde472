/**
 * Recipe → engine: runs a `TrainingSetup` on @nextnets/train's Trainer in the run folder, with the recipe's
 * clipping, L2 term, EMA evaluation, checkpoint cadence and progressive-learning stages, and the CLI's progress bar.
 */
import { stringify as toYaml } from 'yaml';
import type { DataParallel } from '@nextnets/parallel';
import { Dropout, setDropout, type Module } from '@nextnets/core-layers';
import { ProgressiveSchedule } from '@nextnets/data-augment';
import { type EpochOverrides } from '@nextnets/data-augment/node';
import { Trainer, type ClassificationBatch, type ClassificationEvaluation, type EpochPlan, type ParallelEngine, type TrainResult } from '@nextnets/train';
import { NodeStorage, svgToPng } from '@nextnets/train/node';
import type { Recipe } from '../recipes/schema.js';
import { mixupOptions, trainTransform } from './data.js';
import { attachProgress } from './progress.js';
import { inRunFolder, openRunFolder } from './run-folder.js';
import type { TrainingSetup } from './setup.js';
import { warmupStepsFor } from './optimizer.js';
import { l2Term } from './step.js';

export interface RunOptions {
  outDir: string;
  /** Continue from `<outDir>/last`. */
  resume?: boolean;
  /** Start anew in a non-empty `outDir`, moving the old run aside (`--force`). */
  force?: boolean;
  /** Extra lines for `config.yaml`'s header (backend, command). */
  header?: string[];
  log?: (line: string) => void;
  /** Data-parallel replicas of the model (`--replicas N`): steps and evaluation split each batch across them. */
  parallel?: DataParallel;
}

export type { TrainResult };

/** The model's dropout rate (its first `Dropout`), for the stage record; undefined without one. */
function dropoutOf(model: Module | undefined): number | undefined {
  const found = model?.namedModules().find(([, m]) => m instanceof Dropout);
  return found ? (found[1] as Dropout).p : undefined;
}

/** The progressive-learning plan of a recipe (EfficientNetV2 paper, Section 4): per-epoch transform, mixup and the stage record. */
export function progressivePlan(recipe: Recipe, channels: number, numClasses: number, model?: Module): ((epoch: number) => EpochPlan<EpochOverrides>) | undefined {
  const p = recipe.progressive;
  if (!p) return undefined;
  const schedule = new ProgressiveSchedule({
    trainSize: recipe.data.imageSize,
    stages: p.stages,
    ibase: p.ibase,
    minMagnitude: p.minMagnitude,
    maxMagnitude: p.maxMagnitude,
    mixupAlpha: p.mixupAlpha,
    cutmixAlpha: p.cutmixAlpha,
    dropout: p.dropout,
    total: recipe.schedule.epochs,
  });
  return (epoch) => {
    const stage = schedule.stageFor(epoch);
    if (stage.dropout !== undefined && model) setDropout(model, stage.dropout);
    return {
      overrides: {
        transform: trainTransform(recipe, channels, stage.imageSize, stage.randAugmentMagnitude),
        mixup: mixupOptions(recipe, numClasses, { mixup: stage.mixupAlpha, cutmix: stage.cutmixAlpha }) ?? null,
      },
      stage: {
        imageSize: stage.imageSize,
        randAugmentMagnitude: stage.randAugmentMagnitude,
        mixupAlpha: stage.mixupAlpha,
        cutmixAlpha: stage.cutmixAlpha,
        dropout: stage.dropout ?? dropoutOf(model),
      },
    };
  };
}

/** DataParallel as the engine's parallel step (the task's shard and loss options, the replicas' `replicaLoss`). */
export function parallelEngine(parallel: DataParallel): ParallelEngine {
  return {
    valueAndGrads: (batch, options) => parallel.valueAndGrads(batch.tensors, { lossOptions: batch.lossOptions, ...options }),
    predict: (images) => parallel.predict(images),
  };
}

/** Trains the setup's model as its recipe says; writes the run folder. */
export async function runTraining(setup: TrainingSetup, options: RunOptions): Promise<TrainResult<ClassificationEvaluation>> {
  const { recipe, data, model } = setup;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const folder = openRunFolder(options.outDir, { resume: options.resume, force: options.force, log });
  let stepped = false;
  return inRunFolder(folder, () => stepped, async () => {
    const storage = new NodeStorage(options.outDir);
    const warmupNote = warmupStepsFor(recipe, setup.stepsPerEpoch).note;
    if (warmupNote && !options.resume) log(warmupNote);
    const header = (options.header ?? []).map((l) => `# ${l}\n`).join('');
    const trainer = new Trainer<ClassificationBatch, ClassificationEvaluation, EpochOverrides>({
      task: setup.task,
      optimizer: setup.optimizer,
      scheduler: setup.scheduler,
      ema: setup.ema,
      evaluateEma: Boolean(recipe.ema?.evaluate),
      train: setup.train,
      eval: setup.eval,
      epochs: recipe.schedule.epochs,
      maxSteps: recipe.train.maxSteps,
      seed: recipe.seed,
      clipGrad: recipe.optimizer.clipGrad,
      regularizer: l2Term(setup.params, {
        smoothing: 0,
        l2WeightDecay: recipe.train.l2Loss ? recipe.optimizer.weightDecay : 0,
        noDecay: (name) => model.noWeightDecay(name),
      }),
      evalEvery: recipe.train.evalEvery,
      checkpointEvery: recipe.train.checkpointEvery,
      storage,
      resume: options.resume,
      plan: progressivePlan(recipe, data.channels, data.classes.length, model),
      parallel: options.parallel && parallelEngine(options.parallel),
      renderPng: svgToPng,
      title: recipe.name ?? recipe.model.name,
      startFiles: {
        'config.yaml': `${header}# lr after batch scaling: ${setup.lr}\n${toYaml(recipe)}`,
        'classes.json': `${JSON.stringify(data.classes)}\n`,
      },
    });
    attachProgress(trainer, options.outDir, log, (epoch, trainLoss, result, ema) => {
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      const emaText = ema ? `, EMA top-1 ${pct(ema.top1)}` : '';
      return `epoch ${epoch + 1}: train loss ${trainLoss.toFixed(4)}, ${data.evalName} loss ${result.loss.toFixed(4)}, top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}${emaText}`;
    });
    trainer.on('step', () => {
      stepped = true;
    });
    return trainer.run();
  });
}
