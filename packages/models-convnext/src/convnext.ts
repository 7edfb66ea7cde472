import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  ImageClassifier,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  LayerNorm2d,
  Sequential,
  OverrideReader,
  dropPathRates,
  registerModel,
  type ModelOverrides,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { ConvNeXtBlock, NormClassifierHead, Stage, convNeXtDownsample } from './convnext-blocks.js';
import { timmBiasInit, timmWeightInit } from './init.js';
import { convNeXtLayerDecay, type LayerDecayGroups, type LayerDecayScheme } from './layer-decay.js';
import { checkStageLists } from './overrides.js';

export const PACKAGE_NAME = '@nextnets/models-convnext';

/** Configuration of a ConvNeXt (V1 or V2) model; field names follow timm's kwargs in camelCase. */
export interface ConvNeXtConfig {
  depths: number[];
  dims: number[];
  numClasses: number;
  inChans: number;
  /** Patch stem kernel = stride (4). timm: with patchSize 2 stage 0 also downsamples by 2. */
  patchSize: number;
  /** Dropout before the classifier. */
  dropRate: number;
  /** Stochastic depth, linspace(0, rate) over all blocks. */
  dropPathRate: number;
  /** Layer-scale gamma init; null = no gamma (ConvNeXt-V2). */
  lsInitValue: number | null;
  /** Multiplies the initial classifier weight (and bias). */
  headInitScale: number;
  /** 1×1-conv MLP with LayerNorm2d (timm atto…nano); changes checkpoint shapes only. */
  convMlp: boolean;
  /** ConvNeXt-V2 GRN in every block. */
  useGrn: boolean;
}

/** timm's default pretrained config for ConvNeXt: 224, crop 0.875, bicubic, ImageNet mean/std. */
export const CONVNEXT_PRETRAINED_CFG: PretrainedCfg = {
  inputSize: [3, 224, 224],
  mean: IMAGENET_DEFAULT_MEAN,
  std: IMAGENET_DEFAULT_STD,
  cropPct: 0.875,
  interpolation: 'bicubic',
};

/**
 * ConvNeXt (timm `convnext.py`, ConvNeXt paper; timm convnext.py; V2 blocks when `useGrn`): patch stem (conv k=s=patchSize → LayerNorm2d),
 * stages of ConvNeXt blocks with LayerNorm2d + conv k2 s2 downsampling, head pool → LayerNorm2d → fc.
 * Keys: `stem.0`, `stem.1`, `stages.i.downsample.{0,1}`, `stages.i.blocks.j.*`, `head.norm`, `head.fc`.
 */
export class ConvNeXt extends ImageClassifier {
  readonly config: ConvNeXtConfig;
  readonly numFeatures: number;
  numClasses: number;
  readonly stem: Sequential;
  readonly stages: Sequential;
  readonly head: NormClassifierHead;

  constructor(config: ConvNeXtConfig) {
    super();
    this.config = config;
    const { depths, dims } = config;
    checkStageLists('ConvNeXt', { depths, dims });
    this.stem = this.addModule(
      'stem',
      new Sequential([
        new Conv2d({
          inChannels: config.inChans,
          outChannels: dims[0],
          kernelSize: config.patchSize,
          stride: config.patchSize,
          weightInit: timmWeightInit,
          biasInit: timmBiasInit,
        }),
        new LayerNorm2d(dims[0]),
      ]),
    );
    const rates = dropPathRates(config.dropPathRate, depths);
    const stages: Stage<ConvNeXtBlock>[] = [];
    let prev = dims[0];
    let currStride = config.patchSize;
    for (let i = 0; i < depths.length; i++) {
      // timm: stage 0 downsamples only when the stem stride is 2; every later stage halves the resolution.
      const stride = currStride === 2 || i > 0 ? 2 : 1;
      currStride *= stride;
      const downsample = prev !== dims[i] || stride > 1 ? convNeXtDownsample(prev, dims[i], stride) : null;
      const blocks = rates[i].map(
        (dp) =>
          new ConvNeXtBlock({
            dim: dims[i],
            convMlp: config.convMlp,
            useGrn: config.useGrn,
            lsInitValue: config.lsInitValue,
            dropPath: dp,
          }),
      );
      stages.push(new Stage(downsample, blocks));
      prev = dims[i];
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = prev;
    this.numClasses = config.numClasses;
    this.head = this.addModule('head', new NormClassifierHead(prev, config.numClasses, config.dropRate, config.headInitScale));
  }

  /** The stages in order (stage i = `stages.i`), e.g. to reuse the encoder. */
  stageList(): Stage<ConvNeXtBlock>[] {
    return this.stages.children().map(([, m]) => m as Stage<ConvNeXtBlock>);
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.stages.forward(this.stem.forward(x)));
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    return this.head.forwardHead(features, preLogits);
  }

  resetClassifier(numClasses: number): void {
    this.head.reset(numClasses);
    this.head.train(this.training);
    this.numClasses = numClasses;
  }

  /** ndim ≤ 1 and `*.bias` (ConvNeXt's official recipe, main.py/optim_factory.py), which covers layer-scale `gamma` and GRN `weight`/`bias` (all [C]). */
  override noWeightDecay(name: string): boolean {
    return super.noWeightDecay(name) || name.endsWith('.gamma') || /\.grn\.(weight|bias)$/.test(name);
  }

  /** 'single' (one id per block, ConvNeXt-V2 fine-tuning) or 'group' (the 12-group V1 scheme), ConvNeXt V2 FCMAE; official fcmae.py / ConvNeXt's official recipe, main.py/optim_factory.py. */
  override layerDecayGroups(scheme: LayerDecayScheme = 'single'): LayerDecayGroups {
    return convNeXtLayerDecay(this.config.depths, scheme);
  }
}

/** Override keys every ConvNeXt (V1/V2) factory accepts. */
export const CONVNEXT_OVERRIDES = [
  'numClasses',
  'inChans',
  'depths',
  'dims',
  'patchSize',
  'dropRate',
  'dropPathRate',
  'lsInitValue',
  'headInitScale',
  'convMlp',
] as const;

/** Resolves a named variant's architecture plus user overrides into a full config (one-line errors). */
export function convNeXtConfig(
  name: string,
  base: Pick<ConvNeXtConfig, 'depths' | 'dims' | 'convMlp' | 'lsInitValue' | 'useGrn'>,
  overrides: ModelOverrides,
): ConvNeXtConfig {
  const r = new OverrideReader(name, overrides, CONVNEXT_OVERRIDES);
  const config: ConvNeXtConfig = {
    depths: r.numbers('depths', base.depths, 1, true),
    dims: r.numbers('dims', base.dims, 1, true),
    numClasses: r.int('numClasses', 1000),
    inChans: r.int('inChans', 3, 1),
    patchSize: r.int('patchSize', 4, 1),
    dropRate: r.number('dropRate', 0, 0, 1),
    dropPathRate: r.number('dropPathRate', 0, 0, 1),
    lsInitValue: r.numberOrNull('lsInitValue', base.lsInitValue),
    headInitScale: r.number('headInitScale', 1),
    convMlp: r.boolean('convMlp', base.convMlp),
    useGrn: base.useGrn,
  };
  checkStageLists(name, { depths: config.depths, dims: config.dims });
  return config;
}

/** ConvNeXt V1 variants (ConvNeXt paper; timm convnext.py); atto…nano are timm's conv_mlp models. */
const V1_VARIANTS: Record<string, { depths: number[]; dims: number[]; convMlp: boolean }> = {
  convnext_atto: { depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], convMlp: true },
  convnext_femto: { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384], convMlp: true },
  convnext_pico: { depths: [2, 2, 6, 2], dims: [64, 128, 256, 512], convMlp: true },
  convnext_nano: { depths: [2, 2, 8, 2], dims: [80, 160, 320, 640], convMlp: true },
  convnext_tiny: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], convMlp: false },
  convnext_small: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768], convMlp: false },
  convnext_base: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024], convMlp: false },
  convnext_large: { depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536], convMlp: false },
  convnext_xlarge: { depths: [3, 3, 27, 3], dims: [256, 512, 1024, 2048], convMlp: false },
};

for (const [name, arch] of Object.entries(V1_VARIANTS)) {
  registerModel({
    name,
    family: 'convnext',
    packageName: PACKAGE_NAME,
    pretrainedCfg: CONVNEXT_PRETRAINED_CFG,
    create: (overrides = {}) => new ConvNeXt(convNeXtConfig(name, { ...arch, lsInitValue: 1e-6, useGrn: false }, overrides)),
  });
}
