import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Dropout,
  IMAGENET_DEFAULT_MEAN,
  IMAGENET_DEFAULT_STD,
  ImageClassifier,
  Linear,
  Module,
  Sequential,
  globalAvgPool,
  dropPathRates,
  mergeOverrides,
  registerModel,
  type ModelOverrides,
  type PretrainedCfg,
} from '@nextnets/core-layers';
import { ConvBn } from './conv-bn.js';
import { ConvFFN, RepLKBlock } from './replknet-blocks.js';

export interface RepLKNetConfig {
  /** Large kernel size per stage (31B: 31, 29, 27, 13). */
  kernels: number[];
  /** RepLK/FFN pairs per stage. */
  depths: number[];
  channels: number[];
  /** Parallel small depthwise kernel merged at deploy (5 in the paper; null = none, as XL). */
  smallKernel: number | null;
  /** Depthwise width of RepLK blocks relative to the stage width. */
  dwRatio: number;
  /** ConvFFN hidden width ratio. */
  ffnRatio: number;
  numClasses: number;
  inChans: number;
  /** Dropout before `head` (not in the official model; default 0). */
  dropRate: number;
  /** Drop path, linspace over the pairs (RepLKNet; official replknet.py; official factory default 0.3). */
  dropPathRate: number;
  /** Build the large-kernel convs merged (`lkb_reparam`, official `small_kernel_merged=True`). */
  deploy: boolean;
}

/** A stage: `blocks` = [RepLK, FFN] × depth (official `RepLKNetStage`; its `norm` is Identity for classification). */
class RepLKNetStage extends Module {
  private readonly blocks: Sequential;

  constructor(cfg: RepLKNetConfig, stage: number, dpr: number[]) {
    super();
    const c = cfg.channels[stage];
    this.blocks = this.addModule('blocks', new Sequential());
    for (let j = 0; j < cfg.depths[stage]; j++) {
      const dw = Math.floor(c * cfg.dwRatio);
      this.blocks.push(new RepLKBlock(c, dw, cfg.kernels[stage], cfg.smallKernel, dpr[j], cfg.deploy));
      this.blocks.push(new ConvFFN(c, Math.floor(c * cfg.ffnRatio), dpr[j]));
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(x);
  }
}

const convBnRelu = (inChannels: number, outChannels: number, kernelSize: number, stride: number, groups: number) =>
  new ConvBn({ inChannels, outChannels, kernelSize, stride, groups, relu: true });

/**
 * RepLKNet (RepLKNet; official replknet.py, official `replknet.py` keys): `stem` (4 conv-BN-ReLU, output stride 4) → `stages` with
 * `transitions` (1×1 + 3×3 s2 depthwise) between them → head `norm` (BN) → avg pool → `head` (Linear).
 * PyTorch default init. `reparameterize(model)` merges every large/small kernel pair into `lkb_reparam`.
 */
export class RepLKNet extends ImageClassifier {
  readonly config: RepLKNetConfig;
  numClasses: number;
  readonly numFeatures: number;
  private readonly stem: Sequential;
  private readonly stages: Sequential;
  private readonly transitions: Sequential;
  private readonly norm: BatchNorm2d;
  private readonly drop: Dropout;
  private head: Linear | null;

  constructor(config: RepLKNetConfig) {
    super();
    validate(config);
    this.config = { ...config };
    const { channels, depths } = config;
    const c0 = channels[0];
    this.stem = this.addModule(
      'stem',
      new Sequential([
        convBnRelu(config.inChans, c0, 3, 2, 1),
        convBnRelu(c0, c0, 3, 1, c0),
        convBnRelu(c0, c0, 1, 1, 1),
        convBnRelu(c0, c0, 3, 2, c0),
      ]),
    );
    const dpr = dropPathRates(config.dropPathRate, depths);
    this.stages = this.addModule('stages', new Sequential());
    this.transitions = this.addModule('transitions', new Sequential());
    depths.forEach((_, i) => {
      this.stages.push(new RepLKNetStage(config, i, dpr[i]));
      if (i < depths.length - 1) {
        const next = channels[i + 1];
        this.transitions.push(new Sequential([convBnRelu(channels[i], next, 1, 1, 1), convBnRelu(next, next, 3, 2, next)]));
      }
    });
    this.numFeatures = channels[channels.length - 1];
    this.numClasses = config.numClasses;
    this.norm = this.addModule('norm', new BatchNorm2d(this.numFeatures));
    this.drop = this.addModule('drop', new Dropout(config.dropRate));
    this.head = config.numClasses > 0 ? this.addModule('head', this.newHead(config.numClasses)) : null;
  }

  private newHead(numClasses: number): Linear {
    return new Linear({ inFeatures: this.numFeatures, outFeatures: numClasses });
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = this.stem.forward(x);
      const transitions = this.transitions.children();
      this.stages.children().forEach(([, stage], i) => {
        y = stage.forward(y);
        if (i < transitions.length) y = transitions[i][1].forward(y);
      });
      return y;
    });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    return tf.tidy(() => {
      const pooled = globalAvgPool(this.norm.forward(features));
      if (preLogits || !this.head) return pooled;
      return this.head.forward(this.drop.forward(pooled));
    });
  }

  resetClassifier(numClasses: number): void {
    this.numClasses = numClasses;
    this.head = numClasses > 0 ? this.newHead(numClasses) : null;
    this.replaceModule('head', this.head);
    this.head?.train(this.training);
  }

  /**
   * Official `get_num_layer_for_replknet` (RepLKNet; official replknet.py): stem 0; stage0 + transition0 → 1; stage1 + transition1 → 2;
   * stage2 block b (RepLK and FFN counted separately) → 3 + ⌊b/4⌋; transition2 → the last of those (11 for 18 pairs);
   * stage3 → +1 (12); norm/head → +2 (13) = numLayers + 1.
   */
  override layerDecayGroups(): { numLayers: number; layerId: (name: string) => number } {
    const lastStage2 = 3 + Math.floor((2 * this.config.depths[2] - 1) / 4);
    const numLayers = lastStage2 + 1;
    const layerId = (name: string): number => {
      const parts = name.split('.');
      if (parts[0] === 'stem') return 0;
      if (parts[0] === 'transitions') {
        const t = Number(parts[1]);
        return t < 2 ? t + 1 : lastStage2;
      }
      if (parts[0] === 'stages') {
        const s = Number(parts[1]);
        if (s < 2) return s + 1;
        if (s === 2) return 3 + Math.floor(Number(parts[3]) / 4);
        return numLayers;
      }
      return numLayers + 1;
    };
    return { numLayers, layerId };
  }
}

function validate(c: RepLKNetConfig): void {
  const n = c.depths.length;
  if (n !== 4 || c.kernels.length !== n || c.channels.length !== n) {
    throw new Error(`RepLKNet: kernels, depths and channels need 4 entries each, got ${c.kernels.length}/${n}/${c.channels.length}`);
  }
  for (const k of c.kernels) if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new Error(`RepLKNet: kernel sizes must be odd, got [${c.kernels}]`);
  if (c.depths.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`RepLKNet: depths must be positive integers, got [${c.depths}]`);
  if (c.channels.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`RepLKNet: channels must be positive integers, got [${c.channels}]`);
}

const replk = (channels: number[], kernels: number[], smallKernel: number | null, dwRatio: number): RepLKNetConfig => ({
  kernels,
  depths: [2, 2, 18, 2],
  channels,
  smallKernel,
  dwRatio,
  ffnRatio: 4,
  numClasses: 1000,
  inChans: 3,
  dropRate: 0,
  dropPathRate: 0.3,
  deploy: false,
});

/** Registered RepLKNet variants (RepLKNet; official replknet.py table). */
export const REPLKNET_VARIANTS: Record<string, RepLKNetConfig> = {
  replknet_31b: replk([128, 256, 512, 1024], [31, 29, 27, 13], 5, 1),
  replknet_31l: replk([192, 384, 768, 1536], [31, 29, 27, 13], 5, 1),
  replknet_xl: replk([256, 512, 1024, 2048], [27, 27, 27, 13], null, 1.5),
};

const cfg = (size: number, cropPct: number, mean = IMAGENET_DEFAULT_MEAN, std = IMAGENET_DEFAULT_STD): PretrainedCfg => ({
  inputSize: [3, size, size],
  mean,
  std,
  cropPct,
  interpolation: 'bicubic',
});

const REPLKNET_PRETRAINED: Record<string, PretrainedCfg> = {
  replknet_31b: cfg(224, 0.875),
  replknet_31l: cfg(384, 1.0),
  replknet_xl: cfg(320, 1.0, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
};

/** Builds a RepLKNet variant by name with overrides (`numClasses`, `deploy`, `kernels`, `smallKernel`, …). */
export function createRepLKNet(name: string, overrides: ModelOverrides = {}): RepLKNet {
  const base = REPLKNET_VARIANTS[name];
  if (!base) throw new Error(`unknown RepLKNet variant '${name}' (known: ${Object.keys(REPLKNET_VARIANTS).join(', ')})`);
  return new RepLKNet(mergeOverrides(name, base, overrides, ['smallKernel']));
}

for (const name of Object.keys(REPLKNET_VARIANTS)) {
  registerModel({
    name,
    family: 'replknet',
    packageName: '@nextnets/models-rep',
    pretrainedCfg: REPLKNET_PRETRAINED[name],
    create: (overrides) => createRepLKNet(name, overrides),
  });
}
