import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  Dropout,
  ImageClassifier,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  LayerNorm2d,
  Linear,
  Module,
  Sequential,
  globalAvgPool,
  registerModel,
  truncNormalInit,
  zerosInit,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { dropPathRates } from '@nextnets/core-layers';
import { ConvNeXtBlock, NormClassifierHead, Stage, convNeXtDownsample } from '@nextnets/models-convnext';
import { RoadmapBlock, maxPool3x3s2, resNetConvInit, roadmapAct, roadmapNorm } from './blocks.js';
import { ROADMAP_STEPS, roadmapConfig, type RoadmapConfig } from './config.js';

export const PACKAGE_NAME = '@nextnets/models-roadmap';

/** 224², crop 0.875, bicubic, ImageNet mean/std: the ConvNeXt evaluation the paper uses for every step. */
export const ROADMAP_PRETRAINED_CFG: PretrainedCfg = {
  inputSize: [3, 224, 224],
  mean: IMAGENET_DEFAULT_MEAN,
  std: IMAGENET_DEFAULT_STD,
  cropPct: 0.875,
  interpolation: 'bicubic',
};

/**
 * Every network of the ConvNeXt roadmap (Liu et al. 2022, Section 2) from one config of switches (`RoadmapConfig`).
 *
 * ResNet layout (`separateDownsampling` off), timm `resnet` keys: `conv1`, `bn1` (stem), `layer1`…`layer4` of
 * `RoadmapBlock`s (`layerI.J.conv1/bn1/conv2/bn2/conv3/bn3`, `layerI.0.downsample.0/1`), global average pool, `fc`.
 * With the ResNet-50 switches this is timm's `resnet50` (7×7 s2 stem + 3×3 s2 max-pool, stride on the 3×3 conv).
 *
 * ConvNeXt layout (`separateDownsampling` on), timm `convnext` keys, built from @nextnets/models-convnext's pieces:
 * `stem.0` (4×4 s4 conv), `stem.1` (LayerNorm), `stages.I.downsample.0/1` (LayerNorm, 2×2 s2 conv),
 * `stages.I.blocks.J` (`ConvNeXtBlock`), `head.norm`, `head.fc`. With the last step's switches this is `convnext_tiny`.
 */
export class RoadmapNet extends ImageClassifier {
  readonly config: RoadmapConfig;
  readonly numFeatures: number;
  numClasses: number;
  /** Stem modules and stages in forward order (the stem's activation and max-pool are applied between them). */
  private readonly stemConv: Conv2d;
  private readonly stemNorm: Module;
  private readonly stageModules: Module[] = [];
  private readonly drop: Dropout | null = null;
  private fc: Linear | null = null;
  private readonly convNeXtHead: NormClassifierHead | null = null;

  constructor(config: RoadmapConfig) {
    super();
    this.config = config;
    const { depths, dims } = config;
    const rates = dropPathRates(config.dropPathRate, depths);
    this.numClasses = config.numClasses;
    this.numFeatures = dims[dims.length - 1];
    if (config.separateDownsampling) {
      if (config.stem !== 'patchify' || !config.dwFirst || !config.fewerNorms || !config.fewerActivations || config.norm !== 'layer' || config.midRatio !== 4) {
        throw new Error('RoadmapNet: separateDownsampling builds ConvNeXt blocks and needs every earlier ConvNeXt switch on');
      }
      const stem = this.addModule(
        'stem',
        new Sequential([
          new Conv2d({
            inChannels: config.inChans,
            outChannels: dims[0],
            kernelSize: 4,
            stride: 4,
            weightInit: truncNormalInit(0.02),
            biasInit: zerosInit,
          }),
          new LayerNorm2d(dims[0]),
        ]),
      );
      this.stemConv = stem.at<Conv2d>(0);
      this.stemNorm = stem.at(1);
      const stages = dims.map((dim, i) => {
        const blocks = rates[i].map(
          (dp) => new ConvNeXtBlock({ dim, kernelSize: config.kernelSize, lsInitValue: config.lsInitValue, dropPath: dp }),
        );
        return new Stage(i > 0 ? convNeXtDownsample(dims[i - 1], dim, 2) : null, blocks);
      });
      this.stageModules = stages;
      this.addModule('stages', new Sequential(stages));
      this.convNeXtHead = this.addModule('head', new NormClassifierHead(this.numFeatures, config.numClasses, config.dropRate, 1));
      return;
    }
    const patchify = config.stem === 'patchify';
    this.stemConv = this.addModule(
      'conv1',
      new Conv2d({
        inChannels: config.inChans,
        outChannels: config.stemWidth,
        kernelSize: patchify ? 4 : 7,
        stride: patchify ? 4 : 2,
        padding: patchify ? 0 : 3,
        bias: config.norm === 'layer',
        ...resNetConvInit,
      }),
    );
    this.stemNorm = this.addModule('bn1', roadmapNorm(config, config.stemWidth));
    let prev = config.stemWidth;
    dims.forEach((dim, i) => {
      const blocks = rates[i].map((dp, j) => {
        const block = new RoadmapBlock(config, j === 0 ? prev : dim, dim, j === 0 && i > 0 ? 2 : 1, dp);
        return block;
      });
      prev = dim;
      this.stageModules.push(this.addModule(`layer${i + 1}`, new Sequential(blocks)));
    });
    this.drop = this.addModule('drop', new Dropout(config.dropRate));
    this.resetClassifier(config.numClasses);
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = this.stemNorm.forward(this.stemConv.forward(x));
      if (!this.config.separateDownsampling) {
        // The ResNet stem keeps its activation (the ConvNeXt stem, conv + LayerNorm, has none).
        y = roadmapAct(this.config)(y);
        if (this.config.stem === 'resnet') y = maxPool3x3s2(y);
      }
      for (const stage of this.stageModules) y = stage.forward(y);
      return y;
    });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    if (this.convNeXtHead) return this.convNeXtHead.forwardHead(features, preLogits);
    return tf.tidy(() => {
      const pooled = globalAvgPool(features);
      if (preLogits || !this.fc) return pooled;
      return this.fc.forward(this.drop ? this.drop.forward(pooled) : pooled);
    });
  }

  resetClassifier(numClasses: number): void {
    this.numClasses = numClasses;
    if (this.convNeXtHead) {
      this.convNeXtHead.reset(numClasses);
      this.convNeXtHead.train(this.training);
      return;
    }
    // timm ResNet leaves `fc` with PyTorch's default Linear init.
    this.fc = numClasses > 0 ? new Linear({ inFeatures: this.numFeatures, outFeatures: numClasses }) : null;
    this.replaceModule('fc', this.fc);
    this.fc?.train(this.training);
  }

  override noWeightDecay(name: string): boolean {
    return super.noWeightDecay(name) || name.endsWith('.gamma');
  }
}

/** Builds a roadmap step by registry name with overrides (`createRoadmapModel('roadmap_kernel_7', { kernelSize: 9 })`). */
export function createRoadmapModel(name: string, overrides: Record<string, unknown> = {}): RoadmapNet {
  return new RoadmapNet(roadmapConfig(name, overrides));
}

for (const s of ROADMAP_STEPS) {
  registerModel({
    name: s.name,
    family: 'roadmap',
    packageName: PACKAGE_NAME,
    pretrainedCfg: ROADMAP_PRETRAINED_CFG,
    create: (overrides = {}) => createRoadmapModel(s.name, overrides),
  });
}
