/** One classification step outside the Trainer (what `nextnets bench` times): forward, loss, backward, clip, update. */
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type ImageClassifier } from '@nextnets/core-layers';
import type { DataParallel } from '@nextnets/parallel';
import { clipGradNorm, l2Loss, type NamedParam, type Optimizer } from '@nextnets/optim';
import { classificationShardLoss, type ClassificationBatch } from '@nextnets/train';

export interface LossConfig {
  /** Label smoothing for hard labels (mixup targets already carry it). */
  smoothing: number;
  /** EfficientNetV2-style L2 term wd·Σv²/2 over decayed params, 0 = off. */
  l2WeightDecay: number;
  noDecay: (name: string) => boolean;
}

export type StepBatch = ClassificationBatch;

/** The L2 term of `loss`, or undefined when off. */
export function l2Term(params: NamedParam[], loss: LossConfig): (() => tf.Scalar) | undefined {
  return loss.l2WeightDecay > 0 ? () => l2Loss(params, loss.l2WeightDecay, (name) => loss.noDecay(name)) : undefined;
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
export function trainStep(model: ImageClassifier, params: NamedParam[], optimizer: Optimizer, batch: StepBatch, lr: number, loss: LossConfig, clipGrad?: number): number {
  const extra = l2Term(params, loss);
  const { value, grads } = valueAndGrads(model, () =>
    tf.tidy(() => {
      const total = classificationShardLoss(model, { images: batch.images, labels: batch.labels, ...(batch.targets ? { targets: batch.targets } : {}) }, { smoothing: loss.smoothing });
      return extra ? (tf.add(total, extra()) as tf.Scalar) : total;
    }),
  );
  return applyStep(value, grads, optimizer, lr, clipGrad);
}

/** `trainStep` with the batch split across data-parallel replicas (`seed` seeds the workers' drop path). */
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
  const { value, grads } = await parallel.valueAndGrads({ images: batch.images, labels: batch.labels, targets: batch.targets }, { lossOptions: { smoothing: loss.smoothing }, extraLoss: l2Term(params, loss), seed });
  return applyStep(value, grads, optimizer, lr, clipGrad);
}
