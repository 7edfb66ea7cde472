import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Module,
  SqueezeExcite,
  dropPath,
  normal,
  normalInit,
  zerosInit,
  type Initializer,
} from '@nextnets/core-layers';
import { ConvBn, convFromKernelBias } from './conv-bn.js';
import { disposeKernelBias, foldIdentityBn, padKernel, sumBranches, type KernelBias } from './fusion.js';

/** timm byobnet conv init: N(0, 2/fan_out) with `fan_out = kh·kw·out / groups` (RepVGG paper; timm byobnet.py). */
export function repVggConvInit(groups: number): Initializer {
  return (shape, fans) => normal(shape, 0, Math.sqrt(2 / Math.floor((fans?.fanOut ?? 1) / groups)));
}

/** timm RepVggBlock.init_weights: every BN inside a block gets weight N(0.1, 0.1), bias N(0, 0.1) (RepVGG paper; timm byobnet.py). */
const BLOCK_BN = { weightInit: normalInit(0.1, 0.1), biasInit: normalInit(0, 0.1) };

export interface RepVggBlockOptions {
  inChannels: number;
  outChannels: number;
  stride: number;
  groups: number;
  /** Squeeze-excite (RepVGG-D2se, reduction 1/16) applied before the ReLU. */
  se?: boolean;
  /** timm's experimental DropPath on the conv branches of blocks that have an identity branch. */
  dropPathRate?: number;
  /** Build the fused single-conv form directly (timm `inference_mode`). */
  deploy?: boolean;
}

/**
 * RepVGG block (RepVGG paper; timm byobnet.py, timm `RepVggBlock`): train form `ReLU(SE(conv_kxk(x) + conv_1x1(x) + identity(x)))` with
 * 3×3 conv+BN, 1×1 conv+BN and an identity BN when in == out and stride 1; deploy form `ReLU(SE(reparam_conv(x)))`.
 */
export class RepVggBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  readonly groups: number;
  private dropPathRate: number;
  private identity: BatchNorm2d | null = null;
  private convKxk: ConvBn | null = null;
  private conv1x1: ConvBn | null = null;
  private attn: SqueezeExcite | null = null;
  private reparamConv: Conv2d | null = null;

  constructor(opts: RepVggBlockOptions) {
    super();
    this.inChannels = opts.inChannels;
    this.outChannels = opts.outChannels;
    this.stride = opts.stride;
    this.groups = opts.groups;
    const hasIdentity = opts.inChannels === opts.outChannels && opts.stride === 1;
    this.dropPathRate = hasIdentity ? (opts.dropPathRate ?? 0) : 0;
    const convInit = repVggConvInit(this.groups);
    if (opts.deploy) {
      this.reparamConv = this.addModule(
        'reparam_conv',
        new Conv2d({ ...this.geometry(), bias: true, weightInit: convInit, biasInit: zerosInit }),
      );
    } else {
      if (hasIdentity) this.identity = this.addModule('identity', new BatchNorm2d(opts.outChannels, BLOCK_BN));
      const common = { inChannels: opts.inChannels, outChannels: opts.outChannels, stride: opts.stride, groups: opts.groups };
      this.convKxk = this.addModule('conv_kxk', new ConvBn({ ...common, kernelSize: 3, weightInit: convInit, bn: BLOCK_BN }));
      this.conv1x1 = this.addModule('conv_1x1', new ConvBn({ ...common, kernelSize: 1, weightInit: convInit, bn: BLOCK_BN }));
    }
    if (opts.se) {
      const reduced = Math.max(1, Math.floor(opts.outChannels / 16 + 0.5));
      this.attn = this.addModule(
        'attn',
        new SqueezeExcite({ channels: opts.outChannels, reducedChannels: reduced, weightInit: repVggConvInit(1), biasInit: zerosInit }),
      );
    }
  }

  /** Whether the block is in its fused (deploy) form. */
  get isReparameterized(): boolean {
    return this.reparamConv !== null;
  }

  private geometry() {
    return { inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: 3, stride: this.stride, padding: 1, groups: this.groups };
  }

  /**
   * The single 3×3 kernel and bias equivalent to the three branches in eval mode (RepVGG paper; timm byobnet.py `get_equivalent_kernel_bias`):
   * BN folded into each conv, the 1×1 kernel padded to 3×3, the identity as a centred one-hot kernel.
   */
  equivalentKernelBias(): KernelBias {
    if (!this.convKxk || !this.conv1x1) throw new Error('RepVggBlock: already reparameterized');
    const kxk = this.convKxk.fuse();
    const oneByOne = this.conv1x1.fuse();
    const parts: KernelBias[] = [kxk, { kernel: padKernel(oneByOne.kernel, 3), bias: oneByOne.bias }];
    oneByOne.kernel.dispose();
    if (this.identity) parts.push(foldIdentityBn(this.identity, this.groups, 3));
    const fused = sumBranches(parts);
    disposeKernelBias(parts);
    return fused;
  }

  /** Replaces the branches by one biased 3×3 conv `reparam_conv` (timm `reparameterize`); idempotent. */
  reparameterize(): void {
    if (this.isReparameterized) return;
    const fused = this.equivalentKernelBias();
    this.replaceModule('conv_kxk', null);
    this.replaceModule('conv_1x1', null);
    if (this.identity) this.replaceModule('identity', null);
    this.convKxk = null;
    this.conv1x1 = null;
    this.identity = null;
    this.dropPathRate = 0;
    this.reparamConv = this.addModule('reparam_conv', convFromKernelBias(this.geometry(), fused));
    this.reparamConv.train(this.training);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y: tf.Tensor;
      if (this.reparamConv) {
        y = this.reparamConv.forward(x);
      } else {
        y = tf.add(this.conv1x1!.forward(x), this.convKxk!.forward(x));
        if (this.identity) y = tf.add(dropPath(y, this.dropPathRate, this.training), this.identity.forward(x));
      }
      if (this.attn) y = this.attn.forward(y);
      return tf.relu(y);
    });
  }
}
