import * as tf from '@tensorflow/tfjs-core';
import { Module, reportMacs, type Initializer } from '../module.js';
import { torchDefaultInit } from '../init.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  /**
   * `linear` (default): checkpoint weight `[out, in]` (nn.Linear). `conv1x1`: checkpoint weight `[out, in, 1, 1]`,
   * a 1×1 nn.Conv2d as timm's ConvMlp uses — on NHWC tensors both are the same matmul over the channel axis.
   */
  checkpointAs?: 'linear' | 'conv1x1';
  /** Weight init (internal shape [in, out], PyTorch fans); default PyTorch's U(±1/√in). */
  weightInit?: Initializer;
  /** Bias init; default PyTorch's U(±1/√in). */
  biasInit?: Initializer;
}

/** `y = x W + b` over the last axis of a tensor of any rank (NHWC feature maps included). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(opts: LinearOptions) {
    super();
    this.inFeatures = opts.inFeatures;
    this.outFeatures = opts.outFeatures;
    const layout = opts.checkpointAs === 'conv1x1' ? 'linear1x1' : 'linear';
    const fans = { fanIn: this.inFeatures, fanOut: this.outFeatures };
    this.weight = this.addParameter('weight', [this.inFeatures, this.outFeatures], opts.weightInit ?? torchDefaultInit, layout, fans);
    this.bias =
      opts.bias === false ? null : this.addParameter('bias', [this.outFeatures], opts.biasInit ?? torchDefaultInit, 'none', fans);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const rows = x.size / this.inFeatures;
    reportMacs(rows * this.inFeatures * this.outFeatures);
    return tf.tidy(() => {
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [rows, this.inFeatures]);
      let y: tf.Tensor = tf.matMul(flat, this.weight as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}
