import * as tf from '@tensorflow/tfjs-core';
import { withMacCounter, type Module } from './module.js';

export interface ProfileResult {
  /** Parameter elements (buffers excluded). */
  params: number;
  /** Conv2d + Linear multiply-accumulates for one image (norms, activations, pooling not counted, as timm/fvcore). */
  macs: number;
  gmacs: number;
  /** Sum of the elements of every tensor the forward pass created, in bytes (float32): an activation-memory estimate. */
  activationBytes: number;
  outputShape: number[];
}

/**
 * Counts parameters and MACs of `module` for one `[size, size, inChans]` input by running an eval-mode forward pass
 * on zeros (Conv2d/Linear report their MACs while it runs). The module's train/eval mode is restored afterwards.
 */
export function profile(module: Module, inputSize: number | [number, number], inChans = 3): ProfileResult {
  const [h, w] = typeof inputSize === 'number' ? [inputSize, inputSize] : inputSize;
  const wasTraining = module.training;
  module.eval();
  let macs = 0;
  try {
    return tf.tidy(() => {
      const before = tf.memory().numBytes;
      let peak = before;
      const counter = { add: (m: number) => { macs += m; peak = Math.max(peak, tf.memory().numBytes); } };
      const y = withMacCounter(counter, () => module.forward(tf.zeros([1, h, w, inChans])));
      peak = Math.max(peak, tf.memory().numBytes);
      return { params: module.numParams(), macs, gmacs: macs / 1e9, activationBytes: peak - before, outputShape: y.shape };
    });
  } finally {
    module.train(wasTraining);
  }
}
