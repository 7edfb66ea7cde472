import * as tf from '@tensorflow/tfjs-core';
import { Module, normal, uniform, type ActivationFn, type Initializer } from '@nextnets/core-layers';

/** A parameter-free activation as a module, so it can sit in a `Sequential` at the index the official code gives it. */
export class Activation extends Module {
  constructor(private readonly fn: ActivationFn) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

/**
 * Conv init N(0, 2/fan_out) with fan_out = kh·kw·out/groups (timm `_init_weight_goog` with fix_group_fanout, EfficientNetV2 paper; official effnetv2_model.py).
 * Internal shapes are [kh, kw, in/g, out] (dense) or [kh, kw, C, multiplier] (depthwise), so in both cases
 * fan_out = shape[0]·shape[1]·shape[3].
 */
export const googConvInit: Initializer = (shape) => normal(shape, 0, Math.sqrt(2 / (shape[0] * shape[1] * shape[3])));

/** timm's EfficientNet Linear init: U(±1/√fan_out) with fan_out = number of classes (EfficientNetV2 paper; official effnetv2_model.py). */
export const googLinearInit: Initializer = (shape, fans) => {
  const range = 1 / Math.sqrt(fans?.fanOut ?? shape[shape.length - 1]);
  return uniform(shape, -range, range);
};

/** Checks an NHWC input's rank and channel count with a one-line error. */
export function checkInput(model: string, x: tf.Tensor, inChans: number): void {
  if (x.rank !== 4 || x.shape[3] !== inChans) {
    throw new Error(`${model}: expected an NHWC input [N,H,W,${inChans}], got [${x.shape.join(',')}]`);
  }
}
