import * as tf from '@tensorflow/tfjs-core';
import { defaultNoDecay } from './paramGroups';
import type { NamedParam } from './types';

/**
 * EfficientNetV2's weight decay as a loss term (EfficientNetV2 paper; official effnetv2_model.py): wd · Σ ‖v‖²/2 over the decayed variables.
 * EV2 skips variables matching `(bias|gamma|beta)`; with timm names those are exactly the 1-D parameters
 * (biases, BN weight/bias), hence the default filter {@link defaultNoDecay}.
 * Its gradient is wd·v, which `RMSPropTF`'s `weightDecay` adds directly; use one or the other, not both.
 */
export function l2Loss(
  params: Iterable<NamedParam>,
  weightDecay: number,
  noDecay: (name: string, variable: tf.Variable) => boolean = defaultNoDecay,
): tf.Scalar {
  return tf.tidy(() => {
    let sum: tf.Scalar = tf.scalar(0);
    for (const { name, variable } of params) {
      if (!noDecay(name, variable)) sum = tf.add(sum, tf.sum(tf.square(variable)));
    }
    return tf.mul(sum, weightDecay / 2);
  });
}
