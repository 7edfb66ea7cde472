import * as tf from '@tensorflow/tfjs-core';
import { Module, type Initializer } from '../module.js';
import { Conv2d } from './conv2d.js';
import { relu, sigmoid, type ActivationFn } from './activations.js';
import { globalAvgPoolKeepDims } from './pooling.js';

export interface SqueezeExciteOptions {
  channels: number;
  reducedChannels: number;
  act?: ActivationFn;
  gate?: ActivationFn;
  /** Checkpoint names of the two 1×1 convs: timm SEModule uses ['fc1','fc2'], EfficientNet ['conv_reduce','conv_expand']. */
  names?: [string, string];
  weightInit?: Initializer;
  biasInit?: Initializer;
}

/** Squeeze-and-Excitation: x · gate(conv2(act(conv1(GAP(x))))) with biased 1×1 convs. */
export class SqueezeExcite extends Module {
  readonly reduce: Conv2d;
  readonly expand: Conv2d;
  private readonly act: ActivationFn;
  private readonly gate: ActivationFn;

  constructor(opts: SqueezeExciteOptions) {
    super();
    const [reduceName, expandName] = opts.names ?? ['fc1', 'fc2'];
    const init = { weightInit: opts.weightInit, biasInit: opts.biasInit };
    this.reduce = this.addModule(reduceName, new Conv2d({ inChannels: opts.channels, outChannels: opts.reducedChannels, kernelSize: 1, ...init }));
    this.expand = this.addModule(expandName, new Conv2d({ inChannels: opts.reducedChannels, outChannels: opts.channels, kernelSize: 1, ...init }));
    this.act = opts.act ?? relu;
    this.gate = opts.gate ?? sigmoid;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const s = this.gate(this.expand.forward(this.act(this.reduce.forward(globalAvgPoolKeepDims(x)))));
      return tf.mul(x, s);
    });
  }
}
