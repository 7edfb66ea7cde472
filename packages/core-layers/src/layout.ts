import * as tf from '@tensorflow/tfjs-core';

/**
 * How a parameter is stored inside (NHWC-friendly) versus in a PyTorch/timm checkpoint.
 * - `none`: same shape in both.
 * - `conv`: inside `[kh, kw, in/groups, out]` (tf.conv2d filter), PyTorch `[out, in/groups, kh, kw]`.
 * - `depthwise`: inside `[kh, kw, C, m]` (tf.depthwiseConv2d filter), PyTorch `[C·m, 1, kh, kw]`.
 * - `linear`: inside `[in, out]` (matMul operand), PyTorch `[out, in]`.
 * - `linear1x1`: inside `[in, out]`, PyTorch `[out, in, 1, 1]` (timm's 1×1-conv MLPs, computed as a matmul).
 */
export type ParamLayout = 'none' | 'conv' | 'depthwise' | 'linear' | 'linear1x1';

/** The PyTorch shape of an internal tensor of the given layout. */
export function torchShape(shape: readonly number[], layout: ParamLayout): number[] {
  switch (layout) {
    case 'none':
      return [...shape];
    case 'conv':
      return [shape[3], shape[2], shape[0], shape[1]];
    case 'depthwise':
      return [shape[2] * shape[3], 1, shape[0], shape[1]];
    case 'linear':
      return [shape[1], shape[0]];
    case 'linear1x1':
      return [shape[1], shape[0], 1, 1];
  }
}

/** Converts an internal tensor to its PyTorch layout. */
export function toTorchLayout(t: tf.Tensor, layout: ParamLayout): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case 'none':
        return t.clone();
      case 'conv':
        return tf.transpose(t, [3, 2, 0, 1]);
      case 'depthwise': {
        const [kh, kw, c, m] = t.shape;
        return tf.reshape(tf.transpose(t, [2, 3, 0, 1]), [c * m, 1, kh, kw]);
      }
      case 'linear':
        return tf.transpose(t);
      case 'linear1x1':
        return tf.reshape(tf.transpose(t), [t.shape[1] as number, t.shape[0], 1, 1]);
    }
  });
}

/** Converts a PyTorch-layout tensor to the internal layout whose shape is `internalShape`. */
export function fromTorchLayout(t: tf.Tensor, layout: ParamLayout, internalShape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case 'none':
        return t.clone();
      case 'conv':
        return tf.transpose(t, [2, 3, 1, 0]);
      case 'depthwise': {
        const [kh, kw, c, m] = internalShape;
        return tf.transpose(tf.reshape(t, [c, m, kh, kw]), [2, 3, 0, 1]);
      }
      case 'linear':
        return tf.transpose(t);
      case 'linear1x1':
        return tf.transpose(tf.reshape(t, [t.shape[0], t.shape[1] as number]));
    }
  });
}
