/** Evaluation: loss, top-1/top-5 and the confusion matrix over a loader, in eval mode. */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassifier } from '@nextnets/core-layers';
import { crossEntropy } from '@nextnets/optim';
import type { DataLoader } from '@nextnets/data-augment/node';

export interface EvalResult {
  loss: number;
  top1: number;
  top5: number;
  count: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

/** Eval-mode logits of a batch, e.g. split across data-parallel replicas (default: `model.forward`). */
export type Predict = (images: tf.Tensor4D) => Promise<tf.Tensor2D>;

export async function evaluate(model: ImageClassifier, loader: DataLoader, numClasses: number, predict?: Predict): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let lossSum = 0;
  let hit1 = 0;
  let hit5 = 0;
  let count = 0;
  const k = Math.min(5, numClasses);
  try {
    for await (const batch of loader.epoch(0)) {
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
  if (count === 0) return { loss: NaN, top1: NaN, top5: NaN, count, confusion };
  return { loss: lossSum / count, top1: hit1 / count, top5: hit5 / count, count, confusion };
}
