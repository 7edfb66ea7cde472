import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Module,
  SqueezeExcite,
  dropPath,
  silu,
  zerosInit,
  type Conv2dPadding,
} from '@nextnets/core-layers';
import { makeDivisible, pyRound } from '@nextnets/core-layers';
import { googConvInit } from './common.js';

/** `pytorch`: symmetric static padding (timm default); `tf-same`: TF "SAME" as timm's `pad_type='same'` ports. */
export type PadType = 'pytorch' | 'tf-same';

/**
 * Padding of one conv as timm's `create_conv2d_pad`: static symmetric `((s−1) + (k−1))//2` for PyTorch padding; with
 * `tf-same`, static `(k−1)/2` where that equals TF "SAME" (stride 1, odd kernel) and dynamic `Conv2dSame` otherwise.
 */
export function convPadding(padType: PadType, kernelSize: number, stride: number): Conv2dPadding {
  if (padType === 'tf-same') return stride === 1 && (kernelSize - 1) % 2 === 0 ? (kernelSize - 1) / 2 : 'tf-same';
  return Math.floor((stride - 1 + (kernelSize - 1)) / 2);
}

export interface EfficientBlockOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  expRatio: number;
  seRatio: number;
  /** `skip` suffix of the arch string (see `EfficientStageArgs.skip`). */
  skip: boolean | undefined;
  bnEps: number;
  padType: PadType;
  dropPathRate: number;
}

/** A bias-free conv with timm's EfficientNet init (EfficientNetV2 paper; official effnetv2_model.py). */
export function effConv(inChannels: number, outChannels: number, kernelSize: number, stride: number, padType: PadType, groups = 1): Conv2d {
  return new Conv2d({
    inChannels,
    outChannels,
    kernelSize,
    stride,
    padding: convPadding(padType, kernelSize, stride),
    groups,
    bias: false,
    weightInit: googConvInit,
  });
}

/** The residual tail shared by the three block types: drop path on the branch, then add the input. */
function residual(branch: tf.Tensor, x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
  return tf.add(dropPath(branch, rate, training), x);
}

/** timm `ConvBnAct` (`cn`): k×k conv + BN + SiLU, shortcut only with the `skip` suffix. Keys `conv`, `bn1`. */
export class ConvBnAct extends Module {
  readonly hasSkip: boolean;
  readonly conv: Conv2d;
  readonly bn1: BatchNorm2d;

  constructor(readonly opts: EfficientBlockOptions) {
    super();
    this.hasSkip = opts.skip === true && opts.stride === 1 && opts.inChannels === opts.outChannels;
    this.conv = this.addModule('conv', effConv(opts.inChannels, opts.outChannels, opts.kernelSize, opts.stride, opts.padType));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(opts.outChannels, { eps: opts.bnEps }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bn1.forwardSilu(this.conv.forward(x));
      return this.hasSkip ? residual(y, x, this.opts.dropPathRate, this.training) : y;
    });
  }
}

/**
 * SE of an EfficientNet block, sized from the block input: timm divides the ratio by the expansion and rounds
 * `mid · (ratio / e)` (= round(in · 0.25) for V2); SiLU inside, sigmoid gate.
 */
function blockSqueezeExcite(midChannels: number, expRatio: number, seRatio: number): SqueezeExcite {
  return new SqueezeExcite({
    channels: midChannels,
    reducedChannels: pyRound(midChannels * (seRatio / expRatio)),
    act: silu,
    names: ['conv_reduce', 'conv_expand'],
    weightInit: googConvInit,
    biasInit: zerosInit,
  });
}

/**
 * timm `EdgeResidual` (`er`, Fused-MBConv, EfficientNetV2 paper; official effnetv2_model.py): k×k conv (stride) in→mid + BN + SiLU → [SE] → 1×1 mid→out + BN
 * (linear), shortcut when stride 1 and in == out. Keys `conv_exp`, `bn1`, `[se.*]`, `conv_pwl`, `bn2`.
 */
export class EdgeResidual extends Module {
  readonly hasSkip: boolean;
  readonly convExp: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly se: SqueezeExcite | null;
  readonly convPwl: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(readonly opts: EfficientBlockOptions) {
    super();
    const { inChannels, outChannels, bnEps, padType } = opts;
    const mid = makeDivisible(inChannels * opts.expRatio);
    this.hasSkip = opts.skip !== false && opts.stride === 1 && inChannels === outChannels;
    this.convExp = this.addModule('conv_exp', effConv(inChannels, mid, opts.kernelSize, opts.stride, padType));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(mid, { eps: bnEps }));
    this.se = opts.seRatio > 0 ? this.addModule('se', blockSqueezeExcite(mid, opts.expRatio, opts.seRatio)) : null;
    this.convPwl = this.addModule('conv_pwl', effConv(mid, outChannels, 1, 1, padType));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChannels, { eps: bnEps }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = this.bn1.forwardSilu(this.convExp.forward(x));
      if (this.se) y = this.se.forward(y);
      y = this.bn2.forward(this.convPwl.forward(y));
      return this.hasSkip ? residual(y, x, this.opts.dropPathRate, this.training) : y;
    });
  }
}

/**
 * timm `InvertedResidual` (`ir`, MBConv, EfficientNetV2 paper; official effnetv2_model.py): 1×1 in→mid + BN + SiLU → k×k depthwise (stride) + BN + SiLU → SE →
 * 1×1 mid→out + BN (linear), shortcut when stride 1 and in == out. Keys `conv_pw`, `bn1`, `conv_dw`, `bn2`,
 * `se.conv_reduce`, `se.conv_expand`, `conv_pwl`, `bn3`.
 */
export class InvertedResidual extends Module {
  readonly hasSkip: boolean;
  readonly convPw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly convDw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se: SqueezeExcite | null;
  readonly convPwl: Conv2d;
  readonly bn3: BatchNorm2d;

  constructor(readonly opts: EfficientBlockOptions) {
    super();
    const { inChannels, outChannels, bnEps, padType } = opts;
    const mid = makeDivisible(inChannels * opts.expRatio);
    this.hasSkip = opts.skip !== false && opts.stride === 1 && inChannels === outChannels;
    this.convPw = this.addModule('conv_pw', effConv(inChannels, mid, 1, 1, padType));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(mid, { eps: bnEps }));
    this.convDw = this.addModule('conv_dw', effConv(mid, mid, opts.kernelSize, opts.stride, padType, mid));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(mid, { eps: bnEps }));
    this.se = opts.seRatio > 0 ? this.addModule('se', blockSqueezeExcite(mid, opts.expRatio, opts.seRatio)) : null;
    this.convPwl = this.addModule('conv_pwl', effConv(mid, outChannels, 1, 1, padType));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(outChannels, { eps: bnEps }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = this.bn1.forwardSilu(this.convPw.forward(x));
      y = this.bn2.forwardSilu(this.convDw.forward(y));
      if (this.se) y = this.se.forward(y);
      y = this.bn3.forward(this.convPwl.forward(y));
      return this.hasSkip ? residual(y, x, this.opts.dropPathRate, this.training) : y;
    });
  }
}

/** Builds the block of the given arch type. */
export function createEfficientBlock(type: 'cn' | 'er' | 'ir', opts: EfficientBlockOptions): Module {
  if (type === 'cn') return new ConvBnAct(opts);
  if (type === 'er') return new EdgeResidual(opts);
  return new InvertedResidual(opts);
}
