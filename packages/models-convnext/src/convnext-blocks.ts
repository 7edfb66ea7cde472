import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  Dropout,
  GlobalResponseNorm,
  LayerNorm,
  LayerNorm2d,
  Linear,
  Module,
  Sequential,
  constantInit,
  dropPath,
  gelu,
  layerNormLastAxis,
  globalAvgPool,
} from '@nextnets/core-layers';
import { depthwiseSame, geluLinearRows, linearRows } from './ops.js';
import { headWeightInit, timmBiasInit, timmWeightInit } from './init.js';

export interface ConvNeXtBlockOptions {
  dim: number;
  /** Hidden width = mlpRatio·dim (4 in ConvNeXt). */
  mlpRatio?: number;
  /** timm `conv_mlp`: 1×1-conv MLP with LayerNorm2d (checkpoint weights [out, in, 1, 1]); same math on NHWC. */
  convMlp?: boolean;
  /** ConvNeXt-V2 Global Response Norm after the activation (ConvNeXt V2 paper; official convnextv2.py). */
  useGrn?: boolean;
  /** Layer-scale gamma init (V1 default 1e-6); `null` = no gamma (V2). */
  lsInitValue?: number | null;
  dropPath?: number;
  kernelSize?: number;
}

/**
 * The block's MLP (timm `Mlp` / `ConvMlp` / `GlobalResponseNormMlp`): fc1 → GELU → [GRN] → fc2. Keys `fc1`, `grn`, `fc2`.
 * The block calls `forwardRows` on the [N·H·W, C] matrix so both 1×1 layers are single matmuls.
 */
export class ConvNeXtMlp extends Module {
  readonly fc1: Linear;
  readonly grn: GlobalResponseNorm | null;
  readonly fc2: Linear;

  constructor(dim: number, hidden: number, convMlp: boolean, useGrn: boolean) {
    super();
    const common = {
      checkpointAs: convMlp ? 'conv1x1' : 'linear',
      weightInit: timmWeightInit,
      biasInit: timmBiasInit,
    } as const;
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: dim, outFeatures: hidden, ...common }));
    this.grn = useGrn ? this.addModule('grn', new GlobalResponseNorm(hidden)) : null;
    this.fc2 = this.addModule('fc2', new Linear({ inFeatures: hidden, outFeatures: dim, ...common }));
  }

  /**
   * `rows` is [N·H·W, C] of a batch of `n` maps. `keep` ([N, H·W, 1], 1 = visible) makes GRN's Gx use the masked
   * hidden tensor (FCMAE dense emulation, ConvNeXt V2 FCMAE; official fcmae.py); the GRN output itself is not masked.
   */
  forwardRows(rows: tf.Tensor2D, n: number, keep: tf.Tensor | null = null): tf.Tensor2D {
    if (!this.grn) return geluLinearRows(this.fc2, linearRows(this.fc1, rows));
    let h = gelu(linearRows(this.fc1, rows)) as tf.Tensor2D;
    if (this.grn) h = globalResponseNormRows(this.grn, h, n, keep);
    return linearRows(this.fc2, h);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = x.shape[x.rank - 1];
    const rows = tf.reshape(x, [-1, c]) as tf.Tensor2D;
    return tf.reshape(this.forwardRows(rows, x.shape[0]), [...x.shape.slice(0, -1), this.fc2.outFeatures]);
  }
}

/** GRN of [N·H·W, C] rows of a batch of `n` maps, each sample's H·W rows normalised together (`keep`: see forwardRows). */
function globalResponseNormRows(grn: GlobalResponseNorm, h: tf.Tensor2D, n: number, keep: tf.Tensor | null): tf.Tensor2D {
  const c = h.shape[1];
  return tf.reshape(grn.normalize(tf.reshape(h, [n, -1, c]), keep), [-1, c]) as tf.Tensor2D;
}

/**
 * ConvNeXt block (ConvNeXt paper; timm convnext.py; V2 ConvNeXt V2 paper; official convnextv2.py): dw 7×7 → LayerNorm → fc1 → GELU → [GRN] → fc2 → [gamma] → DropPath + input.
 * Keys: `gamma`, `conv_dw`, `norm`, `mlp.fc1`, `mlp.grn`, `mlp.fc2` (timm).
 */
export class ConvNeXtBlock extends Module {
  readonly dim: number;
  readonly convDw: Conv2d;
  readonly norm: LayerNorm;
  readonly mlp: ConvNeXtMlp;
  readonly gamma: tf.Variable | null;
  readonly dropPathRate: number;

  constructor(opts: ConvNeXtBlockOptions) {
    super();
    const { dim } = opts;
    const k = opts.kernelSize ?? 7;
    if (k % 2 === 0) throw new Error(`ConvNeXtBlock: kernelSize must be odd (symmetric padding), got ${k}`);
    this.dim = dim;
    this.dropPathRate = opts.dropPath ?? 0;
    const lsInit = opts.lsInitValue === undefined ? 1e-6 : opts.lsInitValue;
    this.gamma = lsInit === null ? null : this.addParameter('gamma', [dim], constantInit(lsInit));
    this.convDw = this.addModule(
      'conv_dw',
      new Conv2d({
        inChannels: dim,
        outChannels: dim,
        kernelSize: k,
        padding: Math.floor(k / 2),
        groups: dim,
        weightInit: timmWeightInit,
        biasInit: timmBiasInit,
      }),
    );
    this.norm = this.addModule('norm', opts.convMlp ? new LayerNorm2d(dim) : new LayerNorm(dim));
    const hidden = Math.round((opts.mlpRatio ?? 4) * dim);
    this.mlp = this.addModule('mlp', new ConvNeXtMlp(dim, hidden, opts.convMlp ?? false, opts.useGrn ?? false));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.forwardMasked(x, null);
  }

  /**
   * With `keep` ([N, H, W, 1] at this block's resolution, 1 = visible) this is FCMAE's dense emulation of the sparse
   * block (ConvNeXt V2 FCMAE; official fcmae.py): the dwconv input and output are multiplied by `keep`, GRN's Gx sees the masked hidden tensor,
   * and the residual adds the unmasked block input. `keep = null` is the ordinary block.
   */
  forwardMasked(x: tf.Tensor, keep: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const x4 = x as tf.Tensor4D;
      const [n, h, w, c] = x4.shape;
      let y = depthwiseSame(this.convDw, keep ? tf.mul(x4, keep) : x4);
      if (keep) y = tf.mul(y, keep);
      // LayerNorm and both 1×1 layers run on the [N·H·W, C] matrix (one reshape in, one out).
      const rows = layerNormLastAxis(tf.reshape(y, [n * h * w, c]), this.norm.weight, this.norm.bias, this.norm.eps);
      const keepRows = keep ? tf.reshape(keep, [n, h * w, 1]) : null;
      let branch: tf.Tensor = this.mlp.forwardRows(rows as tf.Tensor2D, n, keepRows);
      if (this.gamma) branch = tf.mul(branch, this.gamma);
      branch = dropPath(tf.reshape(branch, [n, h, w, c]), this.dropPathRate, this.training);
      return tf.add(x4, branch);
    });
  }
}

/** timm ConvNeXt downsample: LayerNorm2d → Conv2d(k2, s2) (keys `0`, `1`); k1 s1 when only the width changes. */
export function convNeXtDownsample(inChs: number, outChs: number, stride: number): Sequential {
  const k = stride > 1 ? 2 : 1;
  return new Sequential([
    new LayerNorm2d(inChs),
    new Conv2d({ inChannels: inChs, outChannels: outChs, kernelSize: k, stride, weightInit: timmWeightInit, biasInit: timmBiasInit }),
  ]);
}

/**
 * One resolution stage: optional `downsample` then `blocks` (timm `ConvNeXtStage` / `MetaNeXtStage` keys). The
 * downsample is absent (timm's Identity) when the stage keeps width and resolution.
 */
export class Stage<B extends Module = Module> extends Module {
  readonly downsample: Sequential | null;
  readonly blocks: Sequential;

  constructor(downsample: Sequential | null, blocks: B[]) {
    super();
    this.downsample = downsample ? this.addModule('downsample', downsample) : null;
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }

  /** The blocks in order. */
  blockList(): B[] {
    return this.blocks.children().map(([, m]) => m as B);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const y = this.downsample ? this.downsample.forward(x) : x;
    return this.blocks.forward(y);
  }
}

/**
 * timm `NormMlpClassifierHead` without hidden layer (ConvNeXt head, ConvNeXt paper; timm convnext.py): global average pool → LayerNorm
 * (`norm`) → dropout → `fc`. With numClasses 0 there is no `fc` and the head returns the normed pooled features.
 */
export class NormClassifierHead extends Module {
  readonly norm: LayerNorm2d;
  readonly drop: Dropout;
  fc: Linear | null = null;
  numClasses = 0;

  constructor(
    readonly inFeatures: number,
    numClasses: number,
    dropRate: number,
    private readonly headInitScale: number,
  ) {
    super();
    this.norm = this.addModule('norm', new LayerNorm2d(inFeatures));
    this.drop = this.addModule('drop', new Dropout(dropRate));
    this.reset(numClasses);
  }

  /** A fresh classifier (trunc_normal(.02)·headInitScale weight, zero bias); 0 removes it. */
  reset(numClasses: number): void {
    this.numClasses = numClasses;
    this.fc =
      numClasses > 0
        ? new Linear({
            inFeatures: this.inFeatures,
            outFeatures: numClasses,
            weightInit: headWeightInit(this.headInitScale),
            biasInit: timmBiasInit,
          })
        : null;
    this.replaceModule('fc', this.fc);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    return tf.tidy(() => {
      const pooled = this.norm.forward(globalAvgPool(x));
      if (preLogits || !this.fc) return pooled;
      return this.fc.forward(this.drop.forward(pooled));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }
}
