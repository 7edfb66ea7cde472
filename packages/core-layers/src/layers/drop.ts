import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { defaultRng } from '../random.js';

/**
 * Stochastic depth (timm `drop_path`, timm's shared layers): in train mode each sample's residual branch is kept with
 * probability 1 − p and scaled by 1/(1 − p); identity in eval mode or when p = 0.
 */
export function dropPath(x: tf.Tensor, p: number, training: boolean): tf.Tensor {
  if (!training || p <= 0) return x;
  const keep = 1 - p;
  return tf.tidy(() => {
    const shape = [x.shape[0], ...Array(x.rank - 1).fill(1)];
    const mask = tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', defaultRng().int()), keep));
    return tf.mul(x, tf.div(mask, keep));
  });
}

/** Module form of `dropPath`. */
export class DropPath extends Module {
  constructor(readonly p = 0) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return dropPath(x, this.p, this.training);
  }
}

/** Element-wise dropout (`nn.Dropout`): zero with probability p, scale survivors by 1/(1 − p), train mode only. */
export class Dropout extends Module {
  /** Drop probability; progressive learning may change it between epochs (`setDropout`). */
  constructor(public p = 0) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p <= 0) return x;
    const keep = 1 - this.p;
    return tf.tidy(() => {
      const mask = tf.floor(tf.add(tf.randomUniform(x.shape, 0, 1, 'float32', defaultRng().int()), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }
}

/**
 * Sets the probability of every `Dropout` in `model` (not DropPath), e.g. per stage of EfficientNetV2's progressive
 * learning, where the paper raises the classifier dropout with the image size. Returns how many it changed.
 */
export function setDropout(model: Module, p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`setDropout: rate must be in [0, 1), got ${p}`);
  let count = 0;
  for (const [, module] of model.namedModules()) {
    if (module instanceof Dropout) {
      module.p = p;
      count++;
    }
  }
  return count;
}
