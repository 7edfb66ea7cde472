/** Train/eval pipelines mirroring timm `create_transform` (timm 0.3.2 as used by ConvNeXt, ConvNeXt's official recipe, main.py/optim_factory.py). */
import type { Interpolation } from '../resample';
import { colorJitter } from './colorJitter';
import { compose } from './compose';
import { horizontalFlip } from './horizontalFlip';
import { IMAGENET_MEAN, IMAGENET_STD, normalize } from './normalize';
import { parseRandAugmentConfig, randAugment, type RandAugmentOptions } from './randAugment';
import { randomErasing } from './randomErasing';
import { randomResizedCrop } from './randomResizedCrop';
import { resizeCenterCrop } from './resizeCenterCrop';
import { squashResize } from './squashResize';
import { toRgbTransform } from './toRgbTransform';
import type { Transform } from './types';

export interface TrainTransformOptions {
  size: number;
  scale?: [number, number];
  ratio?: [number, number];
  interpolation?: Interpolation;
  hflip?: number;
  /** RandAugment config string (`rand-m9-mstd0.5-inc1`) or options; when set, colour jitter is skipped (timm). */
  autoAugment?: string | RandAugmentOptions;
  /** Brightness/contrast/saturation jitter strength, used only without autoAugment (timm default 0.4). */
  colorJitter?: number;
  mean?: number[];
  std?: number[];
  /** RandomErasing probability (0 = off). */
  reprob?: number;
  remode?: 'pixel' | 'const' | 'rand';
  recount?: number;
  /** Replicate grayscale inputs to RGB first. */
  toRgb?: boolean;
}

/** RRC → HFlip → RandAugment | ColorJitter → Normalize → RandomErasing. */
export function buildTrainTransform(options: TrainTransformOptions): Transform {
  const mean = options.mean ?? IMAGENET_MEAN;
  const std = options.std ?? IMAGENET_STD;
  const interpolation = options.interpolation ?? 'bicubic';
  const steps: Transform[] = [];
  if (options.toRgb) steps.push(toRgbTransform());
  steps.push(randomResizedCrop({ size: options.size, scale: options.scale, ratio: options.ratio, interpolation }));
  const hflip = options.hflip ?? 0.5;
  if (hflip > 0) steps.push(horizontalFlip(hflip));
  if (options.autoAugment) {
    const ra = typeof options.autoAugment === 'string' ? parseRandAugmentConfig(options.autoAugment) : options.autoAugment;
    // timm create_transform: fill with the dataset mean colour, geometric ops use the train interpolation
    const fill = mean.map((m) => Math.min(255, Math.round(255 * m)));
    steps.push(randAugment({ fill, interpolation, ...ra }));
  } else if ((options.colorJitter ?? 0.4) > 0) {
    const cj = options.colorJitter ?? 0.4;
    steps.push(colorJitter({ brightness: cj, contrast: cj, saturation: cj }));
  }
  steps.push(normalize(mean, std));
  if ((options.reprob ?? 0) > 0) {
    steps.push(randomErasing({ probability: options.reprob, mode: options.remode ?? 'pixel', count: options.recount ?? 1 }));
  }
  return compose(steps);
}

export interface EvalTransformOptions {
  size: number;
  cropPct?: number;
  interpolation?: Interpolation;
  /** 'crop': resize shorter side to floor(size/cropPct) + center crop; 'squash': warp to size x size. */
  mode?: 'crop' | 'squash';
  mean?: number[];
  std?: number[];
  toRgb?: boolean;
}

export function buildEvalTransform(options: EvalTransformOptions): Transform {
  const interpolation = options.interpolation ?? 'bicubic';
  const steps: Transform[] = [];
  if (options.toRgb) steps.push(toRgbTransform());
  steps.push(
    options.mode === 'squash'
      ? squashResize({ size: options.size, interpolation })
      : resizeCenterCrop({ size: options.size, cropPct: options.cropPct, interpolation }),
  );
  steps.push(normalize(options.mean ?? IMAGENET_MEAN, options.std ?? IMAGENET_STD));
  return compose(steps);
}
