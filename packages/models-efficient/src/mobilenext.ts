import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  Identity,
  ImageClassifier,
  Linear,
  Sequential,
  globalAvgPool,
  kaimingNormalFanOutInit,
  normalInit,
  OverrideReader,
  makeDivisible,
  registerModel,
  relu6,
  zerosInit,
  type ModelOverrides,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { Activation, checkInput } from './common.js';
import { SandglassBlock } from './sandglass.js';

/** One row of MobileNeXt's stage table: reduction ratio t, channels c, blocks n, stride s (MobileNeXt; official mnext.py). */
export interface SandglassStage {
  t: number;
  c: number;
  n: number;
  s: number;
}

export interface MobileNeXtConfig {
  numClasses: number;
  inChans: number;
  widthMult: number;
  /** Identity tensor multiplier divisor (1 = full identity, the released model). */
  identityDiv: number;
  /** Dropout before the classifier (official 0.2). */
  dropRate: number;
  /** Stochastic depth on the identity blocks, linspace(0, rate, blocks) (0 in the official model). */
  dropPathRate: number;
  stages: SandglassStage[];
  /** Stem width before the width multiplier (official 32). */
  stemChannels: number;
}

/** The `mnext_mbv2_cfg` stage table (MobileNeXt; official mnext.py). */
export const MOBILENEXT_STAGES: readonly SandglassStage[] = [
  { t: 2, c: 96, n: 1, s: 2 },
  { t: 6, c: 144, n: 1, s: 1 },
  { t: 6, c: 192, n: 3, s: 2 },
  { t: 6, c: 288, n: 3, s: 2 },
  { t: 6, c: 384, n: 4, s: 1 },
  { t: 6, c: 576, n: 4, s: 2 },
  { t: 6, c: 960, n: 3, s: 1 },
  { t: 6, c: 1280, n: 1, s: 1 },
];

export const MOBILENEXT_DEFAULTS: MobileNeXtConfig = {
  numClasses: 1000,
  inChans: 3,
  widthMult: 1,
  identityDiv: 1,
  dropRate: 0.2,
  dropPathRate: 0,
  stages: [...MOBILENEXT_STAGES],
  stemChannels: 32,
};

/**
 * MobileNeXt (Zhou et al., "Rethinking Bottleneck Structure for Efficient Mobile Network Design", the official
 * `mnext.py`; not in timm). Keys follow the official state_dict: `features.0.{0,1}` stem, `features.{k}.conv.{idx}`
 * blocks, `classifier.1` head.
 */
export class MobileNeXt extends ImageClassifier {
  readonly config: MobileNeXtConfig;
  numClasses: number;
  readonly numFeatures: number;
  readonly features: Sequential;
  private classifier: Sequential;

  constructor(config: Partial<MobileNeXtConfig> = {}) {
    super();
    this.config = { ...MOBILENEXT_DEFAULTS, ...config };
    const { widthMult, inChans, stages, identityDiv, dropPathRate } = this.config;
    // Widths are make_divisible(c · w, 8); the official mnext.py rounds to multiples of 4 at width 0.1 exactly.
    const divisor = widthMult === 0.1 ? 4 : 8;
    let channels = makeDivisible(this.config.stemChannels * widthMult, divisor);
    this.features = this.addModule('features', new Sequential());
    this.features.push(
      new Sequential([
        new Conv2d({ inChannels: inChans, outChannels: channels, kernelSize: 3, stride: 2, padding: 1, bias: false, weightInit: kaimingNormalFanOutInit }),
        new BatchNorm2d(channels),
        new Activation(relu6),
      ]),
    );
    const totalBlocks = stages.reduce((n, st) => n + st.n, 0);
    let blockIdx = 0;
    for (const { t, c, n, s } of stages) {
      // The last (1280) stage is not narrowed below width 1.0.
      const out = c === 1280 && widthMult < 1 ? 1280 : makeDivisible(c * widthMult, divisor);
      for (let i = 0; i < n; i++) {
        const rate = totalBlocks > 1 ? (dropPathRate * blockIdx) / (totalBlocks - 1) : 0;
        this.features.push(
          new SandglassBlock({
            inChannels: channels,
            outChannels: out,
            stride: i === 0 ? s : 1,
            reduction: t,
            keep3x3: i === 0 && n === 1 && s === 1,
            identityDiv,
            dropPathRate: rate,
          }),
        );
        channels = out;
        blockIdx++;
      }
    }
    this.numFeatures = channels;
    this.numClasses = this.config.numClasses;
    this.classifier = this.addModule('classifier', this.makeClassifier(this.numClasses));
  }

  private makeClassifier(numClasses: number): Sequential {
    const head = numClasses > 0
      ? new Linear({ inFeatures: this.numFeatures, outFeatures: numClasses, weightInit: normalInit(0, 0.01), biasInit: zerosInit })
      : new Identity();
    return new Sequential([new Dropout(this.config.dropRate), head]);
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    checkInput('MobileNeXt', x, this.config.inChans);
    return this.features.forward(x);
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    const pooled = globalAvgPool(features);
    return preLogits ? pooled : this.classifier.forward(pooled);
  }

  resetClassifier(numClasses: number): void {
    this.numClasses = numClasses;
    this.replaceModule('classifier', null);
    this.classifier = this.addModule('classifier', this.makeClassifier(numClasses));
    this.classifier.train(this.training);
  }
}

const ALLOWED_OVERRIDES = ['numClasses', 'inChans', 'dropRate', 'dropPathRate', 'widthMult', 'identityDiv', 'stages', 'stemChannels'] as const;

function parseStages(model: string, v: unknown): SandglassStage[] | undefined {
  if (v === undefined) return undefined;
  const ok =
    Array.isArray(v) &&
    v.length > 0 &&
    v.every(
      (st) =>
        typeof st === 'object' && st !== null && ['t', 'c', 'n', 's'].every((k) => Number.isInteger((st as Record<string, unknown>)[k])),
    );
  if (!ok) throw new Error(`${model}: override 'stages' must be a non-empty array of {t, c, n, s} integers`);
  return (v as SandglassStage[]).map(({ t, c, n, s }) => ({ t, c, n, s }));
}

/** Builds a MobileNeXt config from registry overrides (unknown keys → one-line error). */
export function mobilenextConfig(model: string, widthMult: number, overrides: ModelOverrides): MobileNeXtConfig {
  const r = new OverrideReader(model, overrides, ALLOWED_OVERRIDES);
  const d = MOBILENEXT_DEFAULTS;
  return {
    numClasses: r.int('numClasses', d.numClasses),
    inChans: r.int('inChans', d.inChans, 1),
    widthMult: r.positive('widthMult', widthMult),
    identityDiv: r.int('identityDiv', d.identityDiv, 1),
    dropRate: r.rate('dropRate', d.dropRate),
    dropPathRate: r.rate('dropPathRate', d.dropPathRate),
    stages: parseStages(model, overrides.stages) ?? [...MOBILENEXT_STAGES],
    stemChannels: r.int('stemChannels', d.stemChannels, 1),
  };
}

const MOBILENEXT_PRETRAINED: PretrainedCfg = {
  inputSize: [3, 224, 224],
  mean: IMAGENET_DEFAULT_MEAN,
  std: IMAGENET_DEFAULT_STD,
  cropPct: 0.875,
  interpolation: 'bilinear',
};

/** Registered MobileNeXt widths (names are ours: timm has no MobileNeXt). */
export const MOBILENEXT_VARIANTS: Record<string, number> = {
  mobilenext_035: 0.35,
  mobilenext_050: 0.5,
  mobilenext_075: 0.75,
  mobilenext_100: 1.0,
  mobilenext_140: 1.4,
};

for (const [name, widthMult] of Object.entries(MOBILENEXT_VARIANTS)) {
  registerModel({
    name,
    family: 'mobilenext',
    packageName: '@nextnets/models-efficient',
    pretrainedCfg: MOBILENEXT_PRETRAINED,
    create: (overrides = {}) => new MobileNeXt(mobilenextConfig(name, widthMult, overrides)),
  });
}
