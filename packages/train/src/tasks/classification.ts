/**
 * Image classification (train, finetune): label-smoothed cross-entropy on hard labels, soft-target cross-entropy on
 * Mixup/CutMix targets (timm `SoftTargetCrossEntropy`), evaluation with loss, top-1/top-5 and the confusion matrix.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@nextnets/core-layers';
import { classificationLoss, crossEntropy } from '@nextnets/optim';
import type { Evaluation, Predict, ShardableBatch, Task } from '../task.js';

export interface ClassificationBatch {
  images: tf.Tensor4D;
  /** int32 class indices [batch]. */
  labels: tf.Tensor1D;
  /** Soft targets [batch, classes] (Mixup/CutMix, which already carry the smoothing). */
  targets?: tf.Tensor2D;
}

export interface ClassificationEvaluation extends Evaluation {
  top1: number;
  top5: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

export type Classifier = Module & { forward(x: tf.Tensor): tf.Tensor };

export interface ClassificationTaskOptions {
  /** Classes of the dataset (rows of the confusion matrix). */
  numClasses: number;
  /** Label smoothing of the hard-label cross-entropy (0). */
  smoothing?: number;
}

/** Options a replica's classification loss receives (see `classificationShardLoss`). */
export interface ClassificationLossOptions {
  smoothing: number;
}

/** The classification loss of one shard: what data-parallel replicas run (`images`, `labels`, optional `targets`). */
export function classificationShardLoss(model: Classifier, tensors: Record<string, tf.Tensor>, options: ClassificationLossOptions): tf.Scalar {
  const logits = model.forward(tensors.images);
  return classificationLoss(logits, { labels: tensors.labels, targets: tensors.targets }, options.smoothing);
}

/** Evaluation over batches in eval mode: mean loss, top-1/top-5 and the confusion matrix. */
export async function evaluateClassifier(
  model: Classifier,
  batches: AsyncIterable<ClassificationBatch>,
  numClasses: number,
  predict?: Predict,
): Promise<ClassificationEvaluation> {
  const wasTraining = model.training;
  model.eval();
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let lossSum = 0;
  let hit1 = 0;
  let hit5 = 0;
  let count = 0;
  const k = Math.min(5, numClasses);
  try {
    for await (const batch of batches) {
      const logits = predict ? await predict(batch.images) : tf.tidy(() => model.forward(batch.images));
      const [loss, top] = tf.tidy(() => [crossEntropy(logits, batch.labels), tf.topk(logits, k).indices]);
      logits.dispose();
      const labels = batch.labels.dataSync();
      const topK = top.dataSync();
      lossSum += loss.dataSync()[0] * labels.length;
      for (let i = 0; i < labels.length; i++) {
        const row = topK.subarray(i * k, (i + 1) * k);
        confusion[labels[i]][row[0]] += 1;
        if (row[0] === labels[i]) hit1 += 1;
        if (row.includes(labels[i])) hit5 += 1;
      }
      count += labels.length;
      tf.dispose([loss, top, batch.images, batch.labels, batch.targets].filter((t) => t !== undefined));
    }
  } finally {
    model.train(wasTraining);
  }
  const top1 = count > 0 ? hit1 / count : NaN;
  const top5 = count > 0 ? hit5 / count : NaN;
  return { loss: count > 0 ? lossSum / count : NaN, count, top1, top5, confusion, metrics: { top1, top5 } };
}

/** The classification task of `model` (any module with `forward(images) → logits`). */
export function classificationTask(model: Classifier, options: ClassificationTaskOptions): Task<ClassificationBatch, ClassificationEvaluation> {
  const smoothing = options.smoothing ?? 0;
  if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
    throw new Error(`classificationTask: numClasses must be a positive integer, got ${options.numClasses}`);
  }
  return {
    name: 'classification',
    model,
    selectionMetric: 'top1',
    batchSize: (batch) => batch.images.shape[0],
    disposeBatch: (batch) => tf.dispose([batch.images, batch.labels, ...(batch.targets ? [batch.targets] : [])]),
    loss: (batch) => classificationShardLoss(model, { ...batch }, { smoothing }),
    shard: (batch): ShardableBatch => ({
      tensors: { images: batch.images, labels: batch.labels, ...(batch.targets ? { targets: batch.targets } : {}) },
      lossOptions: { smoothing } satisfies ClassificationLossOptions,
    }),
    evaluate: (batches, predict) => evaluateClassifier(model, batches, options.numClasses, predict),
  };
}
