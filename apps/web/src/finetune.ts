/**
 * Fine-tuning in the page: a fresh classifier for the user's classes, then N AdamW steps (from @nextnets/optim,
 * timm's weight-decay groups) on random mini-batches with horizontal flips, either of the whole model or of its head.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassifier } from '@nextnets/core-layers';
import { AdamW, crossEntropy, makeParamGroups } from '@nextnets/optim';

export interface FinetuneOptions {
  model: ImageClassifier;
  /** Preprocessed images [N, H, W, 3] (the caller keeps them) and their class indices. */
  images: tf.Tensor4D;
  labels: number[];
  numClasses: number;
  steps: number;
  lr: number;
  batchSize: number;
  /** Train only the classifier head (the rest stays frozen, in eval mode). */
  headOnly: boolean;
  weightDecay?: number;
  /** Called after every step; awaited, so the page can repaint. */
  onStep?: (info: { step: number; loss: number; imagesPerSecond: number; numTensors: number }) => Promise<void> | void;
}

/** Parameters of the classifier head in timm naming (ConvNeXt/InceptionNeXt/RepVGG `head.*`, EfficientNet `classifier.*`). */
export function isHeadParam(name: string): boolean {
  return name.startsWith('head.') || name.startsWith('classifier.') || name.startsWith('fc.');
}

/** Resolves to the loss of every step. Leaves no tensors behind except the model's new classifier. */
export async function finetune(opts: FinetuneOptions): Promise<number[]> {
  const { model, images, labels, steps, lr, batchSize, headOnly } = opts;
  if (labels.length !== images.shape[0]) throw new Error(`finetune: ${labels.length} labels for ${images.shape[0]} images`);
  if (opts.numClasses < 2) throw new Error('finetune: add at least 2 classes');
  model.resetClassifier(opts.numClasses);
  const params = model
    .namedParameters()
    .filter(([name]) => !headOnly || isHeadParam(name))
    .map(([name, p]) => ({ name, variable: p.variable }));
  if (params.length === 0) throw new Error(`finetune: ${model.constructor.name} has no head parameters to train`);
  const groups = makeParamGroups(params, { weightDecay: opts.weightDecay ?? 0.05, noDecay: (name) => model.noWeightDecay(name) });
  const optimizer = new AdamW(groups, { lr });
  const variables = params.map((p) => p.variable);
  const labelT = tf.tensor1d(labels, 'int32');
  const losses: number[] = [];
  model.train(!headOnly);
  try {
    for (let step = 0; step < steps; step++) {
      const start = performance.now();
      const n = Math.min(batchSize, labels.length);
      const pick = tf.tensor1d(Array.from({ length: n }, () => Math.floor(Math.random() * labels.length)), 'int32');
      const flip = Math.random() < 0.5;
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.gather(images, pick);
        const input = flip ? tf.reverse(x, 2) : x;
        return crossEntropy(model.forward(input), tf.gather(labelT, pick));
      }, variables);
      const byName: Record<string, tf.Tensor> = {};
      for (const p of params) byName[p.name] = grads[p.variable.name];
      optimizer.step(byName, lr);
      const loss = (await value.data())[0];
      tf.dispose([value, pick, ...Object.values(grads)]);
      losses.push(loss);
      await opts.onStep?.({ step: step + 1, loss, imagesPerSecond: (n * 1000) / (performance.now() - start), numTensors: tf.memory().numTensors });
    }
  } finally {
    labelT.dispose();
    optimizer.dispose();
    model.eval();
  }
  return losses;
}
