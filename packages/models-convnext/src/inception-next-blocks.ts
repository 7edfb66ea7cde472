import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  LayerNorm,
  Linear,
  Module,
  Sequential,
  constantInit,
  dropPath,
  gelu,
  globalAvgPool,
} from '@nextnets/core-layers';
import { depthwiseSame, linearRows } from './ops.js';
import { timmBiasInit, timmWeightInit } from './init.js';

const dwConv = (channels: number, kernelSize: [number, number]): Conv2d =>
  new Conv2d({
    inChannels: channels,
    outChannels: channels,
    kernelSize,
    padding: [Math.floor(kernelSize[0] / 2), Math.floor(kernelSize[1] / 2)],
    groups: channels,
    weightInit: timmWeightInit,
    biasInit: timmBiasInit,
  });

/**
 * InceptionNeXt token mixer (InceptionNeXt paper; timm inception_next.py): channels split into (identity, hw, w, h) = (C − 3g, g, g, g), g = ⌊C·branchRatio⌋;
 * the last three go through depthwise 3×3, 1×band and band×1 convs; outputs concatenated in the same order.
 * Keys `dwconv_hw`, `dwconv_w`, `dwconv_h`.
 */
export class InceptionDWConv2d extends Module {
  readonly branchChannels: number;
  readonly dwconvHw: Conv2d;
  readonly dwconvW: Conv2d;
  readonly dwconvH: Conv2d;
  private readonly splits: [number, number, number, number];

  constructor(dim: number, squareKernelSize = 3, bandKernelSize = 11, branchRatio = 0.125) {
    super();
    if (squareKernelSize % 2 === 0 || bandKernelSize % 2 === 0) {
      throw new Error(`InceptionDWConv2d: kernel sizes must be odd (symmetric padding), got ${squareKernelSize} and ${bandKernelSize}`);
    }
    const gc = Math.floor(dim * branchRatio);
    if (gc < 1 || 3 * gc > dim) {
      throw new Error(`InceptionDWConv2d: branchRatio ${branchRatio} gives ${gc} branch channels for dim ${dim} (need 1…${Math.floor(dim / 3)})`);
    }
    this.branchChannels = gc;
    this.splits = [dim - 3 * gc, gc, gc, gc];
    this.dwconvHw = this.addModule('dwconv_hw', dwConv(gc, [squareKernelSize, squareKernelSize]));
    this.dwconvW = this.addModule('dwconv_w', dwConv(gc, [1, bandKernelSize]));
    this.dwconvH = this.addModule('dwconv_h', dwConv(gc, [bandKernelSize, 1]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const parts = this.splits[0] > 0 ? tf.split(x, this.splits, 3) : [null, ...tf.split(x, this.splits.slice(1), 3)];
      const [xId, xHw, xW, xH] = parts as [tf.Tensor4D | null, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const mixed = [depthwiseSame(this.dwconvHw, xHw), depthwiseSame(this.dwconvW, xW), depthwiseSame(this.dwconvH, xH)];
      return tf.concat(xId ? [xId, ...mixed] : mixed, 3);
    });
  }
}

export interface MetaNeXtBlockOptions {
  dim: number;
  mlpRatio?: number;
  bandKernelSize?: number;
  branchRatio?: number;
  /** Layer-scale gamma init (1e-6); null or 0 = no gamma (timm `if ls_init_value`). */
  lsInitValue?: number | null;
  dropPath?: number;
}

/**
 * InceptionNeXt `MetaNeXtBlock` (InceptionNeXt paper; timm inception_next.py): token_mixer → BatchNorm (`norm`) → ConvMlp (`mlp.fc1` 1×1 → GELU →
 * `mlp.fc2` 1×1) → `gamma` → DropPath + input. BN and the MLP run on the [N·H·W, C] matrix.
 */
export class MetaNeXtBlock extends Module {
  readonly tokenMixer: InceptionDWConv2d;
  readonly norm: BatchNorm2d;
  readonly mlp: Module;
  readonly gamma: tf.Variable | null;
  readonly dropPathRate: number;
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(opts: MetaNeXtBlockOptions) {
    super();
    const { dim } = opts;
    const ls = opts.lsInitValue === undefined ? 1e-6 : opts.lsInitValue;
    this.gamma = ls ? this.addParameter('gamma', [dim], constantInit(ls)) : null;
    this.dropPathRate = opts.dropPath ?? 0;
    this.tokenMixer = this.addModule('token_mixer', new InceptionDWConv2d(dim, 3, opts.bandKernelSize ?? 11, opts.branchRatio ?? 0.125));
    this.norm = this.addModule('norm', new BatchNorm2d(dim));
    const hidden = Math.floor((opts.mlpRatio ?? 4) * dim);
    const common = { checkpointAs: 'conv1x1', weightInit: timmWeightInit, biasInit: timmBiasInit } as const;
    this.fc1 = new Linear({ inFeatures: dim, outFeatures: hidden, ...common });
    this.fc2 = new Linear({ inFeatures: hidden, outFeatures: dim, ...common });
    // Registered as a Sequential only for the timm keys `mlp.fc1` / `mlp.fc2`; forward uses the matmul path below.
    this.mlp = this.addModule('mlp', new NamedSequential({ fc1: this.fc1, fc2: this.fc2 }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      const mixed = this.tokenMixer.forward(x);
      const rows = this.norm.forward(tf.reshape(mixed, [n * h * w, c])) as tf.Tensor2D;
      let branch: tf.Tensor = linearRows(this.fc2, gelu(linearRows(this.fc1, rows)) as tf.Tensor2D);
      if (this.gamma) branch = tf.mul(branch, this.gamma);
      branch = dropPath(tf.reshape(branch, [n, h, w, c]), this.dropPathRate, this.training);
      return tf.add(x, branch);
    });
  }
}

/** Children under given names applied in order (timm ConvMlp: fc1 → GELU → fc2; the GELU has no parameters). */
class NamedSequential extends Module {
  constructor(modules: Record<string, Linear>) {
    super();
    for (const [name, m] of Object.entries(modules)) this.addModule(name, m);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [fc1, fc2] = this.children().map(([, m]) => m);
    return fc2.forward(gelu(fc1.forward(x)));
  }
}

/** InceptionNeXt downsample: BatchNorm → Conv2d(k2, s2) (keys `0`, `1`). */
export function metaNeXtDownsample(inChs: number, outChs: number): Sequential {
  return new Sequential([
    new BatchNorm2d(inChs),
    new Conv2d({ inChannels: inChs, outChannels: outChs, kernelSize: 2, stride: 2, weightInit: timmWeightInit, biasInit: timmBiasInit }),
  ]);
}

/**
 * timm `MlpClassifierHead` (InceptionNeXt paper; timm inception_next.py): pool → `fc1` (D → ratio·D) → GELU → LayerNorm (`norm`) → dropout → `fc2`.
 * Note the activation comes before the norm. numClasses 0 leaves out `fc2`.
 */
export class MlpClassifierHead extends Module {
  readonly fc1: Linear;
  readonly norm: LayerNorm;
  readonly drop: Dropout;
  fc2: Linear | null = null;
  numClasses = 0;

  constructor(
    readonly inFeatures: number,
    numClasses: number,
    readonly hiddenFeatures: number,
    dropRate: number,
  ) {
    super();
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures, outFeatures: hiddenFeatures, weightInit: timmWeightInit, biasInit: timmBiasInit }));
    this.norm = this.addModule('norm', new LayerNorm(hiddenFeatures));
    this.drop = this.addModule('drop', new Dropout(dropRate));
    this.reset(numClasses);
  }

  /** A fresh `fc2` (trunc_normal(.02), zero bias) for numClasses; 0 removes it. */
  reset(numClasses: number): void {
    this.numClasses = numClasses;
    this.fc2 =
      numClasses > 0
        ? new Linear({ inFeatures: this.hiddenFeatures, outFeatures: numClasses, weightInit: timmWeightInit, biasInit: timmBiasInit })
        : null;
    this.replaceModule('fc2', this.fc2);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    return tf.tidy(() => {
      const hidden = this.drop.forward(this.norm.forward(gelu(this.fc1.forward(globalAvgPool(x)))));
      return preLogits || !this.fc2 ? hidden : this.fc2.forward(hidden);
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }
}
