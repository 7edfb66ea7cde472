import * as tf from '@tensorflow/tfjs-core';

/** Global average pool of NHWC maps to [N, C] (timm `SelectAdaptivePool2d('avg')` + flatten). */
export function globalAvgPool(x: tf.Tensor): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

/** Global average pool keeping the spatial axes: [N, 1, 1, C]. */
export function globalAvgPoolKeepDims(x: tf.Tensor): tf.Tensor4D {
  return tf.mean(x, [1, 2], true) as tf.Tensor4D;
}
