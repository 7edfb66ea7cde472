import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, dropPath, gelu } from '@nextnets/core-layers';
import { ConvBn, convFromKernelBias } from './conv-bn.js';
import { disposeKernelBias, padKernel, sumBranches, type KernelBias } from './fusion.js';

/**
 * RepLKNet `ReparamLargeKernelConv` (RepLKNet; official replknet.py): a depthwise K×K conv+BN (`lkb_origin`) plus, when `smallKernel` is set,
 * a parallel depthwise small conv+BN (`small_conv`, 5×5 in the paper); merged into one biased K×K `lkb_reparam`.
 */
export class ReparamLargeKernelConv extends Module {
  readonly channels: number;
  readonly kernelSize: number;
  readonly smallKernel: number | null;
  private lkbOrigin: ConvBn | null = null;
  private smallConv: ConvBn | null = null;
  private lkbReparam: Conv2d | null = null;

  constructor(channels: number, kernelSize: number, smallKernel: number | null, deploy = false) {
    super();
    if (smallKernel !== null && (smallKernel > kernelSize || (kernelSize - smallKernel) % 2 !== 0)) {
      throw new Error(`ReparamLargeKernelConv: small kernel ${smallKernel} cannot be centred in kernel ${kernelSize}`);
    }
    this.channels = channels;
    this.kernelSize = kernelSize;
    this.smallKernel = smallKernel;
    if (deploy) {
      this.lkbReparam = this.addModule('lkb_reparam', new Conv2d({ ...this.geometry(), bias: true }));
      return;
    }
    const dw = { inChannels: channels, outChannels: channels, groups: channels };
    this.lkbOrigin = this.addModule('lkb_origin', new ConvBn({ ...dw, kernelSize }));
    if (smallKernel !== null) this.smallConv = this.addModule('small_conv', new ConvBn({ ...dw, kernelSize: smallKernel }));
  }

  get isReparameterized(): boolean {
    return this.lkbReparam !== null;
  }

  private geometry() {
    const k = this.kernelSize;
    return { inChannels: this.channels, outChannels: this.channels, kernelSize: k, stride: 1, padding: Math.floor(k / 2), groups: this.channels };
  }

  /** `merge_kernel`: both branches BN-folded, the small kernel zero-padded by (K − k)/2 per side, then summed. */
  equivalentKernelBias(): KernelBias {
    if (!this.lkbOrigin) throw new Error('ReparamLargeKernelConv: already reparameterized');
    const parts: KernelBias[] = [this.lkbOrigin.fuse()];
    if (this.smallConv) {
      const small = this.smallConv.fuse();
      parts.push({ kernel: padKernel(small.kernel, this.kernelSize), bias: small.bias });
      small.kernel.dispose();
    }
    const fused = sumBranches(parts);
    disposeKernelBias(parts);
    return fused;
  }

  /** Replaces `lkb_origin` (+ `small_conv`) by `lkb_reparam`; idempotent. */
  reparameterize(): void {
    if (this.isReparameterized) return;
    const fused = this.equivalentKernelBias();
    this.replaceModule('lkb_origin', null);
    if (this.smallConv) this.replaceModule('small_conv', null);
    this.lkbOrigin = null;
    this.smallConv = null;
    this.lkbReparam = this.addModule('lkb_reparam', convFromKernelBias(this.geometry(), fused));
    this.lkbReparam.train(this.training);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this.lkbReparam) return this.lkbReparam.forward(x);
    return tf.tidy(() => {
      const out = this.lkbOrigin!.forward(x);
      return this.smallConv ? tf.add(out, this.smallConv.forward(x)) : out;
    });
  }
}

/**
 * RepLKBlock (RepLKNet; official replknet.py): `x + DropPath(pw2(ReLU(large_kernel(pw1(prelkb_bn(x))))))`, pw1 = 1×1 conv+BN+ReLU (c → dw),
 * pw2 = 1×1 conv+BN (dw → c).
 */
export class RepLKBlock extends Module {
  private readonly pw1: ConvBn;
  private readonly pw2: ConvBn;
  private readonly largeKernel: ReparamLargeKernelConv;
  private readonly prelkbBn: BatchNorm2d;

  constructor(
    channels: number,
    dwChannels: number,
    kernelSize: number,
    smallKernel: number | null,
    readonly dropPathRate = 0,
    deploy = false,
  ) {
    super();
    this.pw1 = this.addModule('pw1', new ConvBn({ inChannels: channels, outChannels: dwChannels, kernelSize: 1, relu: true }));
    this.pw2 = this.addModule('pw2', new ConvBn({ inChannels: dwChannels, outChannels: channels, kernelSize: 1 }));
    this.largeKernel = this.addModule('large_kernel', new ReparamLargeKernelConv(dwChannels, kernelSize, smallKernel, deploy));
    this.prelkbBn = this.addModule('prelkb_bn', new BatchNorm2d(channels));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.pw2.forward(tf.relu(this.largeKernel.forward(this.pw1.forward(this.prelkbBn.forward(x)))));
      return tf.add(x, dropPath(out, this.dropPathRate, this.training));
    });
  }
}

/** ConvFFN (RepLKNet; official replknet.py): `x + DropPath(pw2(GELU(pw1(preffn_bn(x)))))` with 1×1 conv+BN layers c → 4c → c. */
export class ConvFFN extends Module {
  private readonly preffnBn: BatchNorm2d;
  private readonly pw1: ConvBn;
  private readonly pw2: ConvBn;

  constructor(
    channels: number,
    internalChannels: number,
    readonly dropPathRate = 0,
  ) {
    super();
    this.preffnBn = this.addModule('preffn_bn', new BatchNorm2d(channels));
    this.pw1 = this.addModule('pw1', new ConvBn({ inChannels: channels, outChannels: internalChannels, kernelSize: 1 }));
    this.pw2 = this.addModule('pw2', new ConvBn({ inChannels: internalChannels, outChannels: channels, kernelSize: 1 }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.pw2.forward(gelu(this.pw1.forward(this.preffnBn.forward(x))));
      return tf.add(x, dropPath(out, this.dropPathRate, this.training));
    });
  }
}
