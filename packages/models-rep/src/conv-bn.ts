import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, type BatchNorm2dOptions, type Initializer } from '@nextnets/core-layers';
import { foldConvBn, type KernelBias } from './fusion.js';

export interface ConvBnOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  /** Symmetric zero padding (default kernelSize // 2). */
  padding?: number;
  groups?: number;
  /** ReLU after BN (RepLKNet `conv_bn_relu`). */
  relu?: boolean;
  weightInit?: Initializer;
  bn?: BatchNorm2dOptions;
}

/**
 * A bias-free conv followed by BatchNorm (timm `ConvNormAct` without act, RepLKNet `conv_bn`/`conv_bn_relu`):
 * keys `conv.weight`, `bn.*`.
 */
export class ConvBn extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly relu: boolean;

  constructor(opts: ConvBnOptions) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv2d({
        inChannels: opts.inChannels,
        outChannels: opts.outChannels,
        kernelSize: opts.kernelSize,
        stride: opts.stride ?? 1,
        padding: opts.padding ?? Math.floor(opts.kernelSize / 2),
        groups: opts.groups ?? 1,
        bias: false,
        weightInit: opts.weightInit,
      }),
    );
    this.bn = this.addModule('bn', new BatchNorm2d(opts.outChannels, opts.bn));
    this.relu = opts.relu ?? false;
  }

  /** The equivalent conv kernel and bias of conv+BN in eval mode. */
  fuse(): KernelBias {
    return foldConvBn(this.conv, this.bn);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bn.forward(this.conv.forward(x));
      return this.relu ? tf.relu(y) : y;
    });
  }
}

/** Geometry of a conv to build from fused weights. */
export interface ConvGeometry {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number;
  groups: number;
}

/**
 * A biased Conv2d holding given weights (internal layout); the tensors are taken over (the conv owns them after).
 * Shape mismatches between geometry and weights fail with one line.
 */
export function convFromKernelBias(geometry: ConvGeometry, fused: KernelBias): Conv2d {
  const conv = new Conv2d({
    ...geometry,
    bias: true,
    weightInit: (shape) => {
      if (shape.some((d, i) => d !== fused.kernel.shape[i])) {
        throw new Error(`fused kernel has shape [${fused.kernel.shape}] but the conv expects [${shape}]`);
      }
      return fused.kernel;
    },
    biasInit: () => fused.bias,
  });
  return conv;
}
