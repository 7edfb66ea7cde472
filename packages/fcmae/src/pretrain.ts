import type { Dataset } from '@nextnets/data-augment';
import { DataLoader } from '@nextnets/data-augment/node';
import { AdamW, LrScheduler, cosineWithWarmup, makeParamGroups, scaleLr } from '@nextnets/optim';
import { fcmaeTask } from '@nextnets/train';
import { minimalAugment, scheduleSteps } from './augment.js';
import type { FCMAE } from './fcmae.js';
import { runLoop, type EpochInfo, type StepInfo } from './run-trainer.js';

/**
 * FCMAE pre-training weight-decay rule (ConvNeXt V2 FCMAE; official fcmae.py, timm-0.3.2 `add_weight_decay` on the official model): no decay for
 * 1-D tensors and `*.bias`. Official GRN γ/β are 2-D (1, C) (sparse encoder) or 4-D (dense decoder) and `mask_token`
 * is 4-D, so they ARE decayed — our GRN `weight`/`bias` are stored 1-D, hence the explicit exception.
 */
export function pretrainNoDecay(name: string, rank: number): boolean {
  if (/(^|\.)grn\.(weight|bias)$/.test(name)) return false;
  return rank <= 1 || name.endsWith('.bias');
}

export interface PretrainOptimizerOptions {
  /** 0.05 (ConvNeXt V2 FCMAE; official fcmae.py). */
  weightDecay?: number;
  /** (0.9, 0.95) (ConvNeXt V2 FCMAE; official fcmae.py). */
  betas?: [number, number];
}

/** AdamW over all FCMAE parameters with the pre-training betas and no-decay rule (caller disposes). */
export function createPretrainOptimizer(model: FCMAE, opts: PretrainOptimizerOptions = {}): AdamW {
  const weightDecay = opts.weightDecay ?? 0.05;
  const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
  const groups = makeParamGroups(params, { weightDecay, noDecay: (name, v) => pretrainNoDecay(name, v.rank) });
  return new AdamW(groups, { betas: opts.betas ?? [0.9, 0.95], weightDecay });
}

export interface PretrainOptions extends PretrainOptimizerOptions {
  model: FCMAE;
  dataset: Dataset;
  epochs: number;
  batchSize: number;
  /** Training resolution (multiple of the patch size); default 224. */
  inputSize?: number;
  /** Base lr; the lr is blr·batchSize/256 (ConvNeXt V2 FCMAE; official fcmae.py, default 1.5e-4). */
  blr?: number;
  /** Absolute lr (overrides blr scaling). */
  lr?: number;
  /** Floor of the cosine (0). */
  minLr?: number;
  /** Linear warmup from 0, in epochs (may be fractional; default 40 as `main_pretrain.py`, must be < epochs). */
  warmupEpochs?: number;
  /** RandomResizedCrop area range ([0.2, 1]). */
  scale?: [number, number];
  /** Normalisation (ImageNet mean/std by default). */
  mean?: number[];
  std?: number[];
  /** Seeds data order, augmentation and masks (0). */
  seed?: number;
  /** DataLoader worker threads (0). */
  workers?: number;
  /** Stop after this many optimizer steps (the schedule still spans all epochs). */
  maxSteps?: number;
  /** An optimizer from `createPretrainOptimizer` (default: a fresh one, disposed at the end). */
  optimizer?: AdamW;
  onStep?: (info: StepInfo, ctx: PretrainContext) => void | Promise<void>;
  onEpoch?: (info: EpochInfo, ctx: PretrainContext) => void | Promise<void>;
}

/** Handed to callbacks so a caller can checkpoint (model, optimizer and scheduler state). */
export interface PretrainContext {
  model: FCMAE;
  optimizer: AdamW;
  scheduler: LrScheduler;
}

export interface PretrainResult {
  /** Loss of every optimizer step. */
  losses: number[];
  /** The peak lr (after batch scaling). */
  lr: number;
  totalSteps: number;
  warmupSteps: number;
}

/**
 * FCMAE pre-training (ConvNeXt V2 FCMAE; official fcmae.py `main_pretrain.py` / `engine_pretrain.py`) on @nextnets/train's Trainer with the `fcmae`
 * task: minimal augmentation, a fresh random mask per batch, masked (norm-pix) MSE, AdamW (0.9, 0.95) with wd 0.05 on
 * weights only, lr = blr·batch/256 with a per-iteration linear warmup from 0 (reaching the peak at the end of warmup)
 * and half-cycle cosine to minLr. For checkpoints, metrics files and resuming, use the Trainer directly (as
 * `nextnets pretrain` does).
 */
export async function pretrain(opts: PretrainOptions): Promise<PretrainResult> {
  const { model, batchSize } = opts;
  const inputSize = opts.inputSize ?? 224;
  model.gridSize(inputSize, inputSize);
  const seed = opts.seed ?? 0;
  const loader = new DataLoader({
    dataset: opts.dataset,
    batchSize,
    seed,
    dropLast: true,
    workers: opts.workers ?? 0,
    transform: minimalAugment({ size: inputSize, scale: opts.scale, mean: opts.mean, std: opts.std }),
  });
  const { totalSteps, warmupSteps } = scheduleSteps('pretrain', loader.length, opts.epochs, opts.warmupEpochs ?? 40);
  const lr = opts.lr ?? scaleLr(opts.blr ?? 1.5e-4, batchSize);
  const scheduler = new LrScheduler(cosineWithWarmup({ baseLr: lr, totalSteps, warmupSteps, minLr: opts.minLr ?? 0, warmupStyle: 'exclusive' }));
  const optimizer = opts.optimizer ?? createPretrainOptimizer(model, opts);
  const ctx: PretrainContext = { model, optimizer, scheduler };
  try {
    const losses = await runLoop({
      task: fcmaeTask(model),
      optimizer,
      scheduler,
      train: loader,
      epochs: opts.epochs,
      maxSteps: opts.maxSteps,
      seed,
      onStep: opts.onStep && ((info) => opts.onStep?.(info, ctx)),
      onEpoch: opts.onEpoch && ((info) => opts.onEpoch?.(info, ctx)),
    });
    return { losses, lr, totalSteps, warmupSteps };
  } finally {
    await loader.close();
    if (!opts.optimizer) optimizer.dispose();
  }
}
