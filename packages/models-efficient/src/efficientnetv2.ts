import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  ImageClassifier,
  Linear,
  Sequential,
  globalAvgPool,
  OverrideReader,
  registerModel,
  zerosInit,
  type ModelOverrides,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { checkInput, googLinearInit } from './common.js';
import { decodeStage, roundChannels, scaleRepeats } from './efficientnet-arch.js';
import { createEfficientBlock, effConv, type PadType } from './efficientnet-blocks.js';

export interface EfficientNetV2Config {
  /** One timm arch string per stage, e.g. `ir_r6_k3_s2_e4_c128_se0.25` (before width/depth scaling). */
  stages: string[];
  /** Stem width before the channel multiplier. */
  stemSize: number;
  /** Head (conv_head) width before the channel multiplier. */
  numFeatures: number;
  channelMultiplier: number;
  depthMultiplier: number;
  /** `make_divisible` round limit of the channel rounding: 0.9 for S/M/L/XL/rw, 0 for the B0–B3 base family. */
  roundLimit: number;
  /** BatchNorm eps: 1e-3 for the TF ports (`tf_`), PyTorch's 1e-5 otherwise. */
  bnEps: number;
  padType: PadType;
  numClasses: number;
  inChans: number;
  /** Dropout before the classifier. */
  dropRate: number;
  /** Stochastic depth: block i of N uses rate · i / N (EfficientNetV2 paper; official effnetv2_model.py, timm). */
  dropPathRate: number;
}

/**
 * EfficientNetV2 (Tan & Le 2021) as timm builds it (`timm/models/efficientnet.py::EfficientNet` with the
 * `_gen_efficientnetv2_*` arch defs): `conv_stem`, `bn1`, `blocks.{stage}.{block}`, `conv_head`, `bn2`, `classifier`.
 */
export class EfficientNetV2 extends ImageClassifier {
  readonly config: EfficientNetV2Config;
  numClasses: number;
  readonly numFeatures: number;
  readonly convStem: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly blocks: Sequential;
  readonly convHead: Conv2d;
  readonly bn2: BatchNorm2d;
  private readonly headDrop: Dropout;
  private classifier: Linear | null;

  constructor(config: EfficientNetV2Config) {
    super();
    this.config = config;
    const { channelMultiplier, roundLimit, bnEps, padType } = config;
    const roundChs = (c: number): number => roundChannels(c, channelMultiplier, roundLimit);
    const stemSize = roundChs(config.stemSize);
    this.convStem = this.addModule('conv_stem', effConv(config.inChans, stemSize, 3, 2, padType));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(stemSize, { eps: bnEps }));

    const stages = config.stages.map((s) => {
      const args = decodeStage(s);
      return { ...args, repeats: scaleRepeats(args.repeats, config.depthMultiplier), outChannels: roundChs(args.outChannels) };
    });
    const totalBlocks = stages.reduce((n, s) => n + s.repeats, 0);
    this.blocks = this.addModule('blocks', new Sequential());
    let channels = stemSize;
    let blockIdx = 0;
    for (const stage of stages) {
      const seq = new Sequential();
      for (let j = 0; j < stage.repeats; j++) {
        seq.push(
          createEfficientBlock(stage.type, {
            inChannels: channels,
            outChannels: stage.outChannels,
            kernelSize: stage.kernelSize,
            stride: j === 0 ? stage.stride : 1,
            expRatio: stage.expRatio,
            seRatio: stage.seRatio,
            skip: stage.skip,
            bnEps,
            padType,
            dropPathRate: (config.dropPathRate * blockIdx) / totalBlocks,
          }),
        );
        channels = stage.outChannels;
        blockIdx++;
      }
      this.blocks.push(seq);
    }

    this.numFeatures = roundChs(config.numFeatures);
    this.convHead = this.addModule('conv_head', effConv(channels, this.numFeatures, 1, 1, padType));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(this.numFeatures, { eps: bnEps }));
    this.headDrop = this.addModule('head_drop', new Dropout(config.dropRate));
    this.numClasses = config.numClasses;
    this.classifier = this.makeClassifier(this.numClasses);
  }

  private makeClassifier(numClasses: number): Linear | null {
    if (numClasses <= 0) return null;
    const fc = new Linear({ inFeatures: this.numFeatures, outFeatures: numClasses, weightInit: googLinearInit, biasInit: zerosInit });
    fc.train(this.training);
    return this.addModule('classifier', fc);
  }

  /** Number of blocks over all stages. */
  get blockCount(): number {
    return this.blocks.children().reduce((n, [, stage]) => n + (stage as Sequential).length, 0);
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    checkInput('EfficientNetV2', x, this.config.inChans);
    return tf.tidy(() => {
      const stem = this.bn1.forwardSilu(this.convStem.forward(x));
      return this.bn2.forwardSilu(this.convHead.forward(this.blocks.forward(stem)));
    });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    return tf.tidy(() => {
      const pooled = globalAvgPool(features);
      if (preLogits || !this.classifier) return pooled;
      return this.classifier.forward(this.headDrop.forward(pooled));
    });
  }

  resetClassifier(numClasses: number): void {
    this.numClasses = numClasses;
    this.replaceModule('classifier', null);
    this.classifier = this.makeClassifier(numClasses);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Named variants (timm `_gen_efficientnetv2_{base,s,m,l,xl}`, EfficientNetV2 paper; official effnetv2_model.py).

const S_ARCH = ['cn_r2_k3_s1_e1_c24_skip', 'er_r4_k3_s2_e4_c48', 'er_r4_k3_s2_e4_c64', 'ir_r6_k3_s2_e4_c128_se0.25', 'ir_r9_k3_s1_e6_c160_se0.25', 'ir_r15_k3_s2_e6_c256_se0.25'];
const M_ARCH = ['cn_r3_k3_s1_e1_c24_skip', 'er_r5_k3_s2_e4_c48', 'er_r5_k3_s2_e4_c80', 'ir_r7_k3_s2_e4_c160_se0.25', 'ir_r14_k3_s1_e6_c176_se0.25', 'ir_r18_k3_s2_e6_c304_se0.25', 'ir_r5_k3_s1_e6_c512_se0.25'];
const L_ARCH = ['cn_r4_k3_s1_e1_c32_skip', 'er_r7_k3_s2_e4_c64', 'er_r7_k3_s2_e4_c96', 'ir_r10_k3_s2_e4_c192_se0.25', 'ir_r19_k3_s1_e6_c224_se0.25', 'ir_r25_k3_s2_e6_c384_se0.25', 'ir_r7_k3_s1_e6_c640_se0.25'];
const XL_ARCH = ['cn_r4_k3_s1_e1_c32_skip', 'er_r8_k3_s2_e4_c64', 'er_r8_k3_s2_e4_c96', 'ir_r16_k3_s2_e4_c192_se0.25', 'ir_r24_k3_s1_e6_c256_se0.25', 'ir_r32_k3_s2_e6_c512_se0.25', 'ir_r8_k3_s1_e6_c640_se0.25'];
const BASE_ARCH = ['cn_r1_k3_s1_e1_c16_skip', 'er_r2_k3_s2_e4_c32', 'er_r2_k3_s2_e4_c48', 'ir_r3_k3_s2_e4_c96_se0.25', 'ir_r5_k3_s1_e6_c112_se0.25', 'ir_r8_k3_s2_e6_c192_se0.25'];

/** A named variant: its timm arch def and scaling, and its pretrained-config facts. */
export interface EfficientNetV2Variant {
  arch: readonly string[];
  stemSize: number;
  channelMultiplier: number;
  depthMultiplier: number;
  roundLimit: number;
  /** A TF port (`tf_` prefix): TF "SAME" padding and BN eps 1e-3. */
  tfPort: boolean;
  /** Dropout before the classifier of the official config (EfficientNetV2 paper; official effnetv2_model.py). */
  dropRate: number;
  /** Train / eval resolution (EfficientNetV2 paper; official effnetv2_model.py; timm cfgs for rw_t). */
  trainSize: number;
  evalSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  cropPct: number;
}

const HALF: [number, number, number] = [0.5, 0.5, 0.5];
const big = (arch: readonly string[], stemSize: number, tfPort: boolean, dropRate: number, trainSize: number, evalSize: number): EfficientNetV2Variant => ({
  arch,
  stemSize,
  channelMultiplier: 1,
  depthMultiplier: 1,
  roundLimit: 0.9,
  tfPort,
  dropRate,
  trainSize,
  evalSize,
  mean: tfPort ? HALF : IMAGENET_DEFAULT_MEAN,
  std: tfPort ? HALF : IMAGENET_DEFAULT_STD,
  cropPct: 1.0,
});
const base = (channelMultiplier: number, depthMultiplier: number, dropRate: number, trainSize: number, evalSize: number, cropPct: number): EfficientNetV2Variant => ({
  arch: BASE_ARCH,
  stemSize: 32,
  channelMultiplier,
  depthMultiplier,
  roundLimit: 0,
  tfPort: true,
  dropRate,
  trainSize,
  evalSize,
  mean: IMAGENET_DEFAULT_MEAN,
  std: IMAGENET_DEFAULT_STD,
  cropPct,
});

/** Every registered EfficientNetV2 variant with its arch and pretrained-config facts. */
export const EFFICIENTNETV2_VARIANTS: Readonly<Record<string, EfficientNetV2Variant>> = {
  efficientnetv2_s: big(S_ARCH, 24, false, 0.2, 300, 384),
  efficientnetv2_m: big(M_ARCH, 24, false, 0.3, 384, 480),
  efficientnetv2_l: big(L_ARCH, 32, false, 0.4, 384, 480),
  efficientnetv2_xl: big(XL_ARCH, 32, false, 0.4, 384, 512),
  tf_efficientnetv2_s: big(S_ARCH, 24, true, 0.2, 300, 384),
  tf_efficientnetv2_m: big(M_ARCH, 24, true, 0.3, 384, 480),
  tf_efficientnetv2_l: big(L_ARCH, 32, true, 0.4, 384, 480),
  tf_efficientnetv2_xl: big(XL_ARCH, 32, true, 0.4, 384, 512),
  tf_efficientnetv2_b0: base(1.0, 1.0, 0.2, 192, 224, 0.875),
  tf_efficientnetv2_b1: base(1.0, 1.1, 0.2, 192, 240, 0.882),
  tf_efficientnetv2_b2: base(1.1, 1.2, 0.3, 208, 260, 0.89),
  tf_efficientnetv2_b3: base(1.2, 1.4, 0.3, 240, 300, 0.904),
  // timm-only "tiny": the S arch at width 0.8, depth 0.9 (`_gen_efficientnetv2_s(rw=False)`), PyTorch padding.
  efficientnetv2_rw_t: { ...big(S_ARCH, 24, false, 0.2, 224, 288), channelMultiplier: 0.8, depthMultiplier: 0.9 },
};

const ALLOWED_OVERRIDES = [
  'numClasses',
  'inChans',
  'dropRate',
  'dropPathRate',
  'bnEps',
  'padType',
  'stages',
  'stemSize',
  'numFeatures',
  'channelMultiplier',
  'depthMultiplier',
] as const;

/** Builds a config for a named variant from registry overrides (unknown keys → one-line error). */
export function efficientnetv2Config(model: string, overrides: ModelOverrides = {}): EfficientNetV2Config {
  const v = EFFICIENTNETV2_VARIANTS[model];
  if (!v) throw new Error(`unknown EfficientNetV2 variant '${model}'`);
  const r = new OverrideReader(model, overrides, ALLOWED_OVERRIDES);
  const { stages, padType } = overrides;
  if (stages !== undefined && !(Array.isArray(stages) && stages.length > 0 && stages.every((s) => typeof s === 'string'))) {
    throw new Error(`${model}: override 'stages' must be a non-empty array of arch strings like 'ir_r2_k3_s2_e4_c32_se0.25'`);
  }
  if (padType !== undefined && padType !== 'pytorch' && padType !== 'tf-same') {
    throw new Error(`${model}: override 'padType' must be 'pytorch' or 'tf-same', got ${JSON.stringify(padType)}`);
  }
  return {
    stages: (stages as string[] | undefined) ?? [...v.arch],
    stemSize: r.int('stemSize', v.stemSize, 1),
    numFeatures: r.int('numFeatures', 1280, 1),
    channelMultiplier: r.positive('channelMultiplier', v.channelMultiplier),
    depthMultiplier: r.positive('depthMultiplier', v.depthMultiplier),
    roundLimit: v.roundLimit,
    bnEps: r.positive('bnEps', v.tfPort ? 1e-3 : 1e-5),
    padType: (padType as PadType | undefined) ?? (v.tfPort ? 'tf-same' : 'pytorch'),
    numClasses: r.int('numClasses', 1000),
    inChans: r.int('inChans', 3, 1),
    dropRate: r.rate('dropRate', v.dropRate),
    dropPathRate: r.rate('dropPathRate', 0),
  };
}

for (const [name, v] of Object.entries(EFFICIENTNETV2_VARIANTS)) {
  const pretrainedCfg: PretrainedCfg = {
    inputSize: [3, v.trainSize, v.trainSize],
    mean: v.mean,
    std: v.std,
    cropPct: v.cropPct,
    interpolation: 'bicubic',
  };
  registerModel({
    name,
    family: 'efficientnetv2',
    packageName: '@nextnets/models-efficient',
    pretrainedCfg,
    create: (overrides = {}) => new EfficientNetV2(efficientnetv2Config(name, overrides)),
  });
}
