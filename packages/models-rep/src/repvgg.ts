import type * as tf from '@tensorflow/tfjs-core';
import {
  ClassifierHead,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  ImageClassifier,
  Sequential,
  globalAvgPool,
  normalInit,
  dropPathRates,
  mergeOverrides,
  registerModel,
  zerosInit,
  type ModelOverrides,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { RepVggBlock } from './repvgg-block.js';

export interface RepVggConfig {
  /** Blocks per stage (stages 1–4 of the paper; the stem is one more block). */
  depths: number[];
  /** Output channels per stage. */
  widths: number[];
  /** Stem (paper's stage0) width, `min(64, 64a)`. */
  stemChs: number;
  /** 0 = dense; 2 or 4 = groups on every odd block of each stage (timm `_rep_vgg_bcfg`, RepVGG paper; timm byobnet.py). */
  groups: number;
  /** Squeeze-excite in every block (RepVGG-D2se). */
  se: boolean;
  numClasses: number;
  inChans: number;
  /** Dropout before the classifier. */
  dropRate: number;
  /** timm's experimental drop path on identity blocks, linspace over stage blocks (timm's shared layers). */
  dropPathRate: number;
  /** Build the fused deploy form directly (`reparam_conv` keys), e.g. to load a deploy checkpoint. */
  deploy: boolean;
}

const REPVGG_PRETRAINED: PretrainedCfg = {
  inputSize: [3, 224, 224],
  mean: IMAGENET_DEFAULT_MEAN,
  std: IMAGENET_DEFAULT_STD,
  cropPct: 0.875,
  interpolation: 'bilinear',
};

/**
 * RepVGG (RepVGG paper; timm byobnet.py, timm `ByobNet` with `RepVggBlock`): `stem` (one block, stride 2) → 4 `stages` (first block stride 2)
 * → `head` (avg pool → `fc`). Keys follow timm; `reparameterize(model)` turns it into the deploy form.
 */
export class RepVgg extends ImageClassifier {
  readonly config: RepVggConfig;
  numClasses: number;
  readonly numFeatures: number;
  private readonly stem: RepVggBlock;
  private readonly stages: Sequential;
  private head: ClassifierHead;

  constructor(config: RepVggConfig) {
    super();
    validate(config);
    this.config = { ...config, depths: [...config.depths], widths: [...config.widths] };
    const { depths, widths, groups, se, deploy } = config;
    this.stem = this.addModule(
      'stem',
      new RepVggBlock({ inChannels: config.inChans, outChannels: config.stemChs, stride: 2, groups: 1, se, deploy }),
    );
    const dpr = dropPathRates(config.dropPathRate, depths);
    this.stages = this.addModule('stages', new Sequential());
    let inChannels = config.stemChs;
    depths.forEach((depth, s) => {
      const stage = new Sequential();
      for (let b = 0; b < depth; b++) {
        const grouped = groups > 0 && (b + 1) % 2 === 0;
        stage.push(
          new RepVggBlock({
            inChannels,
            outChannels: widths[s],
            stride: b === 0 ? 2 : 1,
            groups: grouped ? groups : 1,
            se,
            dropPathRate: dpr[s][b],
            deploy,
          }),
        );
        inChannels = widths[s];
      }
      this.stages.push(stage);
    });
    this.numFeatures = inChannels;
    this.numClasses = config.numClasses;
    this.head = this.addModule('head', this.newHead(config.numClasses));
  }

  private newHead(numClasses: number): ClassifierHead {
    // timm byobnet init: Linear N(0, 0.01), zero bias.
    return new ClassifierHead(this.numFeatures, numClasses, this.config.dropRate, {
      weightInit: normalInit(0, 0.01),
      biasInit: zerosInit,
    });
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.stem.forward(x));
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    return preLogits ? globalAvgPool(features) : this.head.forward(features);
  }

  resetClassifier(numClasses: number): void {
    this.numClasses = numClasses;
    this.head = this.newHead(numClasses);
    this.replaceModule('head', this.head);
    this.head.train(this.training);
  }

  /**
   * RepVGG recipe (RepVGG paper; timm byobnet.py `set_weight_decay`): no decay on biases and BN weights of the conv branches, but the identity
   * BN weight (`*.identity.weight`) is decayed.
   */
  override noWeightDecay(name: string): boolean {
    if (name.endsWith('identity.weight')) return false;
    const p = this.namedParameters().find(([n]) => n === name);
    return name.endsWith('.bias') || (p !== undefined && p[1].shape.length <= 1);
  }
}

function validate(c: RepVggConfig): void {
  if (c.depths.length !== c.widths.length || c.depths.length === 0) {
    throw new Error(`RepVgg: depths (${c.depths.length}) and widths (${c.widths.length}) must be non-empty and equally long`);
  }
  if (c.depths.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`RepVgg: depths must be positive integers, got [${c.depths}]`);
  for (const w of c.widths) {
    if (!Number.isInteger(w) || w < 1) throw new Error(`RepVgg: widths must be positive integers, got [${c.widths}]`);
    if (c.groups > 0 && w % c.groups !== 0) throw new Error(`RepVgg: width ${w} is not divisible by groups ${c.groups}`);
  }
  if (!Number.isInteger(c.groups) || c.groups < 0) {
    throw new Error(`RepVgg: groups must be 0 or a positive integer, got ${c.groups}`);
  }
}

/** timm `_rep_vgg_bcfg`: stage widths `int((64,128,256,512)·wf)`, stem `min(64, int(64·a))`. */
function repVggConfig(depths: number[], a: number, b: number, extra: Partial<RepVggConfig> = {}): RepVggConfig {
  return {
    depths,
    widths: [Math.floor(64 * a), Math.floor(128 * a), Math.floor(256 * a), Math.floor(512 * b)],
    stemChs: Math.min(64, Math.floor(64 * a)),
    groups: 0,
    se: false,
    numClasses: 1000,
    inChans: 3,
    dropRate: 0,
    dropPathRate: 0,
    deploy: false,
    ...extra,
  };
}

const A = [2, 4, 14, 1];
const B = [4, 6, 16, 1];

/** Registered RepVGG variants (RepVGG paper; timm byobnet.py table); g2 variants are the paper's, absent from timm. */
export const REPVGG_VARIANTS: Record<string, RepVggConfig> = {
  repvgg_a0: repVggConfig(A, 0.75, 2.5),
  repvgg_a1: repVggConfig(A, 1, 2.5),
  repvgg_a2: repVggConfig(A, 1.5, 2.75),
  repvgg_b0: repVggConfig(B, 1, 2.5),
  repvgg_b1: repVggConfig(B, 2, 4),
  repvgg_b1g2: repVggConfig(B, 2, 4, { groups: 2 }),
  repvgg_b1g4: repVggConfig(B, 2, 4, { groups: 4 }),
  repvgg_b2: repVggConfig(B, 2.5, 5),
  repvgg_b2g2: repVggConfig(B, 2.5, 5, { groups: 2 }),
  repvgg_b2g4: repVggConfig(B, 2.5, 5, { groups: 4 }),
  repvgg_b3: repVggConfig(B, 3, 5),
  repvgg_b3g2: repVggConfig(B, 3, 5, { groups: 2 }),
  repvgg_b3g4: repVggConfig(B, 3, 5, { groups: 4 }),
  repvgg_d2se: repVggConfig([8, 14, 24, 1], 2.5, 5, { se: true }),
};

/** Builds a RepVGG variant by name with timm-style overrides (`numClasses`, `deploy`, `depths`, …). */
export function createRepVgg(name: string, overrides: ModelOverrides = {}): RepVgg {
  const base = REPVGG_VARIANTS[name];
  if (!base) throw new Error(`unknown RepVGG variant '${name}' (known: ${Object.keys(REPVGG_VARIANTS).join(', ')})`);
  return new RepVgg(mergeOverrides(name, base, overrides));
}

for (const name of Object.keys(REPVGG_VARIANTS)) {
  const pretrainedCfg: PretrainedCfg =
    name === 'repvgg_d2se' ? { ...REPVGG_PRETRAINED, inputSize: [3, 320, 320], cropPct: 1.0 } : REPVGG_PRETRAINED;
  registerModel({
    name,
    family: 'repvgg',
    packageName: '@nextnets/models-rep',
    pretrainedCfg,
    create: (overrides) => createRepVgg(name, overrides),
  });
}
