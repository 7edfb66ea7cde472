import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type Module } from '@nextnets/core-layers';
import { compose, horizontalFlip, normalize, randomResizedCrop, type Transform } from '@nextnets/data-augment';
import type { DataLoader } from '@nextnets/data-augment/node';
import type { LrScheduler, Optimizer } from '@nextnets/optim';

/** Reported after every optimizer step. */
export interface StepInfo {
  /** 0-based global optimizer step (the scheduler position used for this step). */
  step: number;
  epoch: number;
  /** Batch index within the epoch. */
  iteration: number;
  loss: number;
  lr: number;
}

/** Reported after every epoch (also a completed partial epoch when `maxSteps` stops the run). */
export interface EpochInfo {
  epoch: number;
  /** Mean loss over the epoch's steps. */
  meanLoss: number;
  steps: number;
}

export interface TrainLoopOptions {
  loader: DataLoader;
  epochs: number;
  startEpoch?: number;
  scheduler: LrScheduler;
  /** Stop after this many optimizer steps in total (counted from the scheduler's position 0). */
  maxSteps?: number;
  /** One optimizer step on a batch at the given lr; returns the loss. */
  step: (images: tf.Tensor4D, labels: tf.Tensor1D, lr: number) => number;
  onStep?: (info: StepInfo) => void | Promise<void>;
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
}

/** Iterates epochs of a loader with a per-iteration lr schedule; returns the loss of every step. */
export async function runTrainLoop(opts: TrainLoopOptions): Promise<number[]> {
  const losses: number[] = [];
  const limit = opts.maxSteps ?? Infinity;
  for (let epoch = opts.startEpoch ?? 0; epoch < opts.epochs && opts.scheduler.position < limit; epoch++) {
    const epochLosses: number[] = [];
    let iteration = 0;
    for await (const batch of opts.loader.epoch(epoch)) {
      if (opts.scheduler.position >= limit) {
        tf.dispose([batch.images, batch.labels, ...(batch.targets ? [batch.targets] : [])]);
        continue;
      }
      const lr = opts.scheduler.lr;
      const step = opts.scheduler.position;
      let loss: number;
      try {
        loss = opts.step(batch.images, batch.labels, lr);
      } finally {
        tf.dispose([batch.images, batch.labels, ...(batch.targets ? [batch.targets] : [])]);
      }
      if (!Number.isFinite(loss)) throw new Error(`training stopped: loss is ${loss} at step ${step} (epoch ${epoch})`);
      opts.scheduler.advance();
      losses.push(loss);
      epochLosses.push(loss);
      await opts.onStep?.({ step, epoch, iteration, loss, lr });
      iteration++;
    }
    if (epochLosses.length > 0) {
      const meanLoss = epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length;
      await opts.onEpoch?.({ epoch, meanLoss, steps: epochLosses.length });
    }
  }
  return losses;
}

/** valueAndGrads → optimizer step at `lr` → loss as a number; every temporary tensor is freed. */
export function optimizerStep(module: Module, optimizer: Optimizer, lr: number, loss: () => tf.Scalar): number {
  const { value, grads } = valueAndGrads(module, loss);
  try {
    optimizer.step(grads, lr);
    return value.dataSync()[0];
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

export interface MinimalAugmentOptions {
  size: number;
  /** RandomResizedCrop area range (FCMAE: [0.2, 1]). */
  scale?: [number, number];
  mean?: number[];
  std?: number[];
}

/** FCMAE's pre-training augmentation (spec §3): RandomResizedCrop(size, scale, bicubic) → horizontal flip → normalize. */
export function minimalAugment(opts: MinimalAugmentOptions): Transform {
  return compose([
    randomResizedCrop({ size: opts.size, scale: opts.scale ?? [0.2, 1], interpolation: 'bicubic' }),
    horizontalFlip(0.5),
    normalize(opts.mean, opts.std),
  ]);
}

/** Iterations per epoch × epochs, warmup in iterations, with one-line errors for impossible settings. */
export function scheduleSteps(owner: string, itersPerEpoch: number, epochs: number, warmupEpochs: number): { totalSteps: number; warmupSteps: number } {
  if (itersPerEpoch < 1) throw new Error(`${owner}: the dataset has fewer samples than one batch (drop_last)`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${owner}: epochs must be a positive integer, got ${epochs}`);
  if (!(warmupEpochs >= 0 && warmupEpochs < epochs)) throw new Error(`${owner}: warmupEpochs must be in [0, epochs = ${epochs}), got ${warmupEpochs}`);
  return { totalSteps: itersPerEpoch * epochs, warmupSteps: Math.round(itersPerEpoch * warmupEpochs) };
}
