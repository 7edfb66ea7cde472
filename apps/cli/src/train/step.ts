/** One optimisation step: forward, loss, backward, clip, update — leaving no tensors behind. */
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type ImageClassifier } from '@nextnets/core-layers';
import type { DataParallel } from '@nextnets/parallel';
import { classificationLoss, clipGradNorm, l2Loss, type NamedParam, type Optimizer } from '@nextnets/optim';

export interface LossConfig {
  /** Label smoothing for hard labels (mixup targets already carry it). */
  smoothing: number;
  /** EfficientNetV2-style L2 term wd·Σv²/2 over decayed params (spec §8), 0 = off. */
  l2WeightDecay: number;
  noDecay: (name: string) => boolean;
}

export interface StepBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  targets?: tf.Tensor2D;
}

/** Clips and applies `grads` at learning rate `lr`, frees them, and returns the loss value. */
function applyStep(value: tf.Scalar, grads: Record<string, tf.Tensor>, optimizer: Optimizer, lr: number, clipGrad?: number): number {
  try {
    if (clipGrad !== undefined) clipGradNorm(grads, clipGrad);
    optimizer.step(grads, lr);
    return value.dataSync()[0];
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}

/** Runs one training step at learning rate `lr`; returns the loss value. */
export function trainStep(
  model: ImageClassifier,
  params: NamedParam[],
  optimizer: Optimizer,
  batch: StepBatch,
  lr: number,
  loss: LossConfig,
  clipGrad?: number,
): number {
  const { value, grads } = valueAndGrads(model, () =>
    tf.tidy(() => {
      let total = classificationLoss(model.forward(batch.images), batch, loss.smoothing);
      if (loss.l2WeightDecay > 0) total = tf.add(total, l2Loss(params, loss.l2WeightDecay, (name) => loss.noDecay(name)));
      return total;
    }),
  );
  return applyStep(value, grads, optimizer, lr, clipGrad);
}

/**
 * `trainStep` with the batch split across data-parallel replicas (the same loss and update; `seed` seeds the
 * workers' drop path so a resumed run replays it).
 */
export async function parallelTrainStep(
  parallel: DataParallel,
  params: NamedParam[],
  optimizer: Optimizer,
  batch: StepBatch,
  lr: number,
  loss: LossConfig,
  clipGrad: number | undefined,
  seed: number,
): Promise<number> {
  const extraLoss = loss.l2WeightDecay > 0 ? () => l2Loss(params, loss.l2WeightDecay, (name) => loss.noDecay(name)) : undefined;
  const { value, grads } = await parallel.valueAndGrads(batch, { smoothing: loss.smoothing, extraLoss, seed });
  return applyStep(value, grads, optimizer, lr, clipGrad);
}
