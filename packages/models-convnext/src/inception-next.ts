import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  ImageClassifier,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  Sequential,
  OverrideReader,
  dropPathRates,
  registerModel,
  type ModelOverrides,
} from '@nextnets/core-layers';
import { Stage } from './convnext-blocks.js';
import { MetaNeXtBlock, MlpClassifierHead, metaNeXtDownsample } from './inception-next-blocks.js';
import { timmBiasInit, timmWeightInit } from './init.js';
import { convNeXtLayerDecay, type LayerDecayGroups, type LayerDecayScheme } from './layer-decay.js';
import { checkStageLists } from './overrides.js';
import { PACKAGE_NAME } from './convnext.js';

/** Configuration of an InceptionNeXt model (timm `MetaNeXt` kwargs in camelCase). */
export interface InceptionNeXtConfig {
  depths: number[];
  dims: number[];
  numClasses: number;
  inChans: number;
  /** Stem kernel = stride (timm fixes 4; stage 0 never downsamples). */
  patchSize: number;
  dropRate: number;
  dropPathRate: number;
  lsInitValue: number | null;
  /** Per-stage MLP ratio (4, 4, 4, 3). */
  mlpRatios: number[];
  bandKernelSize: number;
  branchRatio: number;
  /** Head hidden width = headMlpRatio·dims[-1] (3). */
  headMlpRatio: number;
}

/**
 * InceptionNeXt (timm `inception_next.py`, InceptionNeXt paper; timm inception_next.py): stem conv k4 s4 → BatchNorm, MetaNeXt stages (BatchNorm + conv
 * k2 s2 downsampling from stage 1), head pool → fc1 → GELU → LayerNorm → fc2.
 */
export class InceptionNeXt extends ImageClassifier {
  readonly config: InceptionNeXtConfig;
  readonly numFeatures: number;
  numClasses: number;
  readonly stem: Sequential;
  readonly stages: Sequential;
  readonly head: MlpClassifierHead;

  constructor(config: InceptionNeXtConfig) {
    super();
    this.config = config;
    const { depths, dims } = config;
    checkStageLists('InceptionNeXt', { depths, dims, mlpRatios: config.mlpRatios });
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
        new BatchNorm2d(dims[0]),
      ]),
    );
    const rates = dropPathRates(config.dropPathRate, depths);
    const stages: Stage<MetaNeXtBlock>[] = [];
    for (let i = 0; i < depths.length; i++) {
      const downsample = i > 0 ? metaNeXtDownsample(dims[i - 1], dims[i]) : null;
      const blocks = rates[i].map(
        (dp) =>
          new MetaNeXtBlock({
            dim: dims[i],
            mlpRatio: config.mlpRatios[i],
            bandKernelSize: config.bandKernelSize,
            branchRatio: config.branchRatio,
            lsInitValue: config.lsInitValue,
            dropPath: dp,
          }),
      );
      stages.push(new Stage(downsample, blocks));
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = dims[dims.length - 1];
    this.numClasses = config.numClasses;
    const hidden = Math.floor(config.headMlpRatio * this.numFeatures);
    this.head = this.addModule('head', new MlpClassifierHead(this.numFeatures, config.numClasses, hidden, config.dropRate));
  }

  /** The stages in order (stage i = `stages.i`). */
  stageList(): Stage<MetaNeXtBlock>[] {
    return this.stages.children().map(([, m]) => m as Stage<MetaNeXtBlock>);
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.stages.forward(this.stem.forward(x)));
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    return this.head.forwardHead(features, preLogits);
  }

  /** Replaces `head.fc2` (trunc_normal(.02), zero bias); fc1/norm are kept as timm's `reset` does. */
  resetClassifier(numClasses: number): void {
    this.head.reset(numClasses);
    this.head.train(this.training);
    this.numClasses = numClasses;
  }

  /** ndim ≤ 1 and `*.bias` (ConvNeXt's official recipe, main.py/optim_factory.py): BN/LN affine, biases and layer-scale `gamma`. */
  override noWeightDecay(name: string): boolean {
    return super.noWeightDecay(name) || name.endsWith('.gamma');
  }

  /** Same stem / stages.i.downsample / stages.i.blocks.j structure as ConvNeXt, so the same schemes apply. */
  override layerDecayGroups(scheme: LayerDecayScheme = 'single'): LayerDecayGroups {
    return convNeXtLayerDecay(this.config.depths, scheme);
  }
}

const INCEPTION_NEXT_OVERRIDES = [
  'numClasses',
  'inChans',
  'depths',
  'dims',
  'patchSize',
  'dropRate',
  'dropPathRate',
  'lsInitValue',
  'mlpRatios',
  'bandKernelSize',
  'branchRatio',
] as const;

/** InceptionNeXt variants (InceptionNeXt paper; timm inception_next.py). */
const VARIANTS: Record<string, { depths: number[]; dims: number[]; bandKernelSize: number; branchRatio: number; cropPct: number }> = {
  inception_next_atto: { depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], bandKernelSize: 9, branchRatio: 0.25, cropPct: 0.875 },
  inception_next_tiny: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], bandKernelSize: 11, branchRatio: 0.125, cropPct: 0.875 },
  inception_next_small: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768], bandKernelSize: 11, branchRatio: 0.125, cropPct: 0.875 },
  inception_next_base: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024], bandKernelSize: 11, branchRatio: 0.125, cropPct: 0.95 },
};

/** Resolves a named variant plus overrides into a full config (one-line errors). */
export function inceptionNeXtConfig(name: string, overrides: ModelOverrides): InceptionNeXtConfig {
  const arch = VARIANTS[name];
  const r = new OverrideReader(name, overrides, INCEPTION_NEXT_OVERRIDES);
  const depths = r.numbers('depths', arch.depths, 1, true);
  const defaultRatios = depths.map((_, i) => (i === depths.length - 1 ? 3 : 4));
  const config: InceptionNeXtConfig = {
    depths,
    dims: r.numbers('dims', arch.dims, 1, true),
    numClasses: r.int('numClasses', 1000),
    inChans: r.int('inChans', 3, 1),
    patchSize: r.int('patchSize', 4, 1),
    dropRate: r.number('dropRate', 0, 0, 1),
    dropPathRate: r.number('dropPathRate', 0, 0, 1),
    lsInitValue: r.numberOrNull('lsInitValue', 1e-6),
    mlpRatios: r.numbers('mlpRatios', defaultRatios, 0, false),
    bandKernelSize: r.int('bandKernelSize', arch.bandKernelSize, 1),
    branchRatio: r.number('branchRatio', arch.branchRatio, 0, 1 / 3),
    headMlpRatio: 3,
  };
  if (config.bandKernelSize % 2 === 0) throw new Error(`${name}: override 'bandKernelSize' must be odd, got ${config.bandKernelSize}`);
  checkStageLists(name, { depths: config.depths, dims: config.dims, mlpRatios: config.mlpRatios });
  return config;
}

for (const [name, arch] of Object.entries(VARIANTS)) {
  registerModel({
    name,
    family: 'inception_next',
    packageName: PACKAGE_NAME,
    pretrainedCfg: {
      inputSize: [3, 224, 224],
      mean: IMAGENET_DEFAULT_MEAN,
      std: IMAGENET_DEFAULT_STD,
      cropPct: arch.cropPct,
      interpolation: 'bicubic',
    },
    create: (overrides = {}) => new InceptionNeXt(inceptionNeXtConfig(name, overrides)),
  });
}
