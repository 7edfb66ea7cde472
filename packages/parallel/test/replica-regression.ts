/** Replica factory with a loss of its own (mean squared error of the logits against `y`): DataParallel is not tied to classification. */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassifier } from '@nextnets/core-layers';
import { createModel } from '@nextnets/models-convnext';

export function createReplica(args: Record<string, unknown>): ImageClassifier {
  return createModel('convnext_atto', args) as ImageClassifier;
}

/** Mean squared error of the logits against `y`, scaled by `options.weight`. */
export function replicaLoss(model: ImageClassifier, tensors: Record<string, tf.Tensor>, options: { weight: number }): tf.Scalar {
  return tf.mul(tf.losses.meanSquaredError(tensors.y, model.forward(tensors.images)), options.weight) as tf.Scalar;
}
