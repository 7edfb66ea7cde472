/** Runs one of this package's convenience loops (pretrain, finetune) on @nextnets/train's Trainer, in memory. */
import { Trainer, type BatchSource, type Task } from '@nextnets/train';
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

export interface LoopOptions<B> {
  task: Task<B>;
  optimizer: Optimizer;
  scheduler: LrScheduler;
  train: BatchSource<B>;
  epochs: number;
  maxSteps?: number;
  seed: number;
  onStep?: (info: StepInfo) => void | Promise<void>;
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
}

/** Trains without checkpoints or files (the Trainer's default in-memory storage); returns every step's loss. */
export async function runLoop<B>(opts: LoopOptions<B>): Promise<number[]> {
  const losses: number[] = [];
  let epochSteps = 0;
  const trainer = new Trainer({ ...opts, checkpoints: false });
  trainer.on('epochStart', () => {
    epochSteps = 0;
  });
  trainer.on('step', async ({ step, epoch, batchInEpoch, loss, lr }) => {
    losses.push(loss);
    epochSteps += 1;
    await opts.onStep?.({ step: step - 1, epoch, iteration: batchInEpoch - 1, loss, lr });
  });
  trainer.on('epochTrained', async ({ epoch, trainLoss }) => {
    if (epochSteps > 0) await opts.onEpoch?.({ epoch, meanLoss: trainLoss, steps: epochSteps });
  });
  await trainer.run();
  return losses;
}
