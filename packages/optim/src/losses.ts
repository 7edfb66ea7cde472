import * as tf from '@tensorflow/tfjs-core';

export interface CrossEntropyOptions {
  /** timm LabelSmoothingCrossEntropy smoothing s; default 0 (plain cross-entropy). */
  labelSmoothing?: number;
}

function checkLogits(owner: string, logits: tf.Tensor): void {
  if (logits.rank !== 2) throw new Error(`${owner}: logits must be [batch, classes], got shape [${logits.shape}]`);
}

function labelTensor(owner: string, labels: tf.Tensor | ArrayLike<number>, batch: number, classes: number): tf.Tensor1D {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== batch || labels.dtype !== 'int32') {
      throw new Error(`${owner}: labels must be int32 [${batch}], got ${labels.dtype}[${labels.shape}]`);
    }
    return labels as tf.Tensor1D;
  }
  if (labels.length !== batch) throw new Error(`${owner}: got ${labels.length} labels for a batch of ${batch}`);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`${owner}: label ${label} at index ${i} is outside 0..${classes - 1}`);
    }
  }
  return tf.tensor1d(Array.from(labels), 'int32');
}

/**
 * Mean cross-entropy with optional label smoothing, timm LabelSmoothingCrossEntropy (ConvNeXt's official recipe, main.py/optim_factory.py):
 * loss_i = (1 − s)·(−log p_i[y_i]) + s·mean_c(−log p_i[c]), log p from a stable logSoftmax.
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor | ArrayLike<number>,
  { labelSmoothing = 0 }: CrossEntropyOptions = {},
): tf.Scalar {
  const owner = 'crossEntropy';
  checkLogits(owner, logits);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new Error(`${owner}: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  }
  const [batch, classes] = logits.shape;
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.cast(logits, 'float32'));
    const oneHot = tf.cast(tf.oneHot(labelTensor(owner, labels, batch, classes), classes), 'float32');
    const nll = tf.neg(tf.sum(tf.mul(oneHot, logProbs), -1));
    if (labelSmoothing === 0) return tf.mean(nll);
    const smooth = tf.neg(tf.mean(logProbs, -1));
    return tf.mean(tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing)));
  });
}

/** timm SoftTargetCrossEntropy (mixup/cutmix targets): mean_i Σ_c −t_ic·log p_ic. */
export function softTargetCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  const owner = 'softTargetCrossEntropy';
  checkLogits(owner, logits);
  if (!tf.util.arraysEqual(targets.shape, logits.shape)) {
    throw new Error(`${owner}: targets shape [${targets.shape}] must equal logits shape [${logits.shape}]`);
  }
  return tf.tidy(() => tf.mean(tf.sum(tf.neg(tf.mul(tf.cast(targets, 'float32'), tf.logSoftmax(tf.cast(logits, 'float32')))), -1)));
}

/** Hard labels and, under mixup/cutmix, the soft targets that replace them. */
export interface ClassificationTargets {
  labels: tf.Tensor | ArrayLike<number>;
  /** Soft targets [batch, classes]; when set, the loss is soft-target cross-entropy. */
  targets?: tf.Tensor;
}

/**
 * The classification loss of a batch, as timm's train.py picks it: `softTargetCrossEntropy` when soft `targets` are
 * given (mixup/cutmix, which already carry the smoothing), else `crossEntropy` with label smoothing `smoothing`.
 */
export function classificationLoss(logits: tf.Tensor, { labels, targets }: ClassificationTargets, smoothing = 0): tf.Scalar {
  return targets ? softTargetCrossEntropy(logits, targets) : crossEntropy(logits, labels, { labelSmoothing: smoothing });
}

/**
 * Mean element-wise binary cross-entropy on logits (torch binary_cross_entropy_with_logits, reduction mean),
 * in the stable form max(x, 0) − x·t + log(1 + e^−|x|).
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(targets.shape, logits.shape)) {
    throw new Error(
      `binaryCrossEntropyWithLogits: targets shape [${targets.shape}] must equal logits shape [${logits.shape}]`,
    );
  }
  return tf.tidy(() => {
    const x = tf.cast(logits, 'float32');
    const perElement = tf.add(tf.sub(tf.relu(x), tf.mul(x, tf.cast(targets, 'float32'))), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.mean(perElement);
  });
}
