import * as tf from '@tensorflow/tfjs-core';
import { Module, reportMacs, type Initializer } from '../module.js';
import { torchDefaultInit } from '../init.js';

type Pair = [number, number];

/**
 * Padding of a convolution:
 * - a number or [ph, pw]: PyTorch-style symmetric zero padding;
 * - 'same': PyTorch/TF 'same' for stride 1 (symmetric when the kernel is odd);
 * - 'tf-same': TensorFlow's dynamic "SAME" (timm `Conv2dSame`): total pad from the input size, the extra row/column
 *   on the bottom/right (EfficientNetV2 paper; official effnetv2_model.py, fixtures README).
 */
export type Conv2dPadding = number | Pair | 'same' | 'tf-same';

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | Pair;
  stride?: number | Pair;
  padding?: Conv2dPadding;
  dilation?: number | Pair;
  groups?: number;
  bias?: boolean;
  /** Weight init (receives the internal shape and PyTorch fans); default PyTorch's U(±1/√fan_in). */
  weightInit?: Initializer;
  /** Bias init; default PyTorch's U(±1/√fan_in). */
  biasInit?: Initializer;
}

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/** TF "SAME" padding along one axis: [before, after] with the extra element after. */
export function tfSamePad(size: number, kernel: number, stride: number, dilation: number): Pair {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * 2-D convolution on NHWC tensors with PyTorch semantics and keys (`weight` [out, in/groups, kh, kw], `bias`).
 * Dense convs use tf.conv2d, depthwise (groups == in) tf.depthwiseConv2d, other groups a split/concat of dense convs.
 * Initialised as PyTorch does (U(±1/√fan_in)); model families re-initialise as their spec says.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Conv2dPadding;
  readonly dilation: Pair;
  readonly groups: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(opts: Conv2dOptions) {
    super();
    this.inChannels = opts.inChannels;
    this.outChannels = opts.outChannels;
    this.kernelSize = pair(opts.kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = opts.padding ?? 0;
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: channels ${this.inChannels}->${this.outChannels} are not divisible by groups ${this.groups}`);
    }
    const [kh, kw] = this.kernelSize;
    const fans = { fanIn: (this.inChannels / this.groups) * kh * kw, fanOut: this.outChannels * kh * kw };
    const weightInit = opts.weightInit ?? torchDefaultInit;
    this.weight = this.isDepthwise
      ? this.addParameter('weight', [kh, kw, this.inChannels, this.outChannels / this.inChannels], weightInit, 'depthwise', fans)
      : this.addParameter('weight', [kh, kw, this.inChannels / this.groups, this.outChannels], weightInit, 'conv', fans);
    this.bias =
      opts.bias === false ? null : this.addParameter('bias', [this.outChannels], opts.biasInit ?? torchDefaultInit, 'none', fans);
  }

  /** Depthwise: one group per input channel (channel multiplier = out/in). */
  get isDepthwise(): boolean {
    return this.groups > 1 && this.groups === this.inChannels;
  }

  /** Explicit [[0,0],[top,bottom],[left,right],[0,0]] padding for an input of the given spatial size. */
  explicitPadding(height: number, width: number): [[0, 0], Pair, Pair, [0, 0]] {
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [dh, dw] = this.dilation;
    let ph: Pair;
    let pw: Pair;
    if (this.padding === 'tf-same') {
      ph = tfSamePad(height, kh, sh, dh);
      pw = tfSamePad(width, kw, sw, dw);
    } else if (this.padding === 'same') {
      ph = tfSamePad(height, kh, 1, dh);
      pw = tfSamePad(width, kw, 1, dw);
    } else {
      const [a, b] = pair(this.padding);
      ph = [a, a];
      pw = [b, b];
    }
    return [[0, 0], ph, pw, [0, 0]];
  }

  forward(x: tf.Tensor): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    const [n, h, w] = x4.shape;
    const pad = this.explicitPadding(h, w);
    const y = tf.tidy(() => {
      let out: tf.Tensor4D;
      if (this.isDepthwise) {
        out = tf.depthwiseConv2d(x4, this.weight as tf.Tensor4D, this.stride, pad, 'NHWC', this.dilation);
      } else if (this.groups === 1) {
        out = tf.conv2d(x4, this.weight as tf.Tensor4D, this.stride, pad, 'NHWC', this.dilation);
      } else {
        const xs = tf.split(x4, this.groups, 3) as tf.Tensor4D[];
        const ws = tf.split(this.weight as tf.Tensor4D, this.groups, 3) as tf.Tensor4D[];
        out = tf.concat(
          xs.map((xi, i) => tf.conv2d(xi, ws[i], this.stride, pad, 'NHWC', this.dilation)),
          3,
        );
      }
      return this.bias ? tf.add(out, this.bias) : out;
    });
    const [, oh, ow] = y.shape;
    reportMacs(n * oh * ow * this.outChannels * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
    return y;
  }
}
