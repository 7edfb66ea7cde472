import { colorJitter } from './colorJitter';
import { compose } from './compose';
import { horizontalFlip } from './horizontalFlip';
import { normalize } from './normalize';
import { randAugment } from './randAugment';
import { randomErasing } from './randomErasing';
import { randomCropPad } from './randomCropPad';
import { randomResizedCrop } from './randomResizedCrop';
import { resizeCenterCrop } from './resizeCenterCrop';
import { squashResize } from './squashResize';
import { toRgbTransform } from './toRgbTransform';
import type { Transform, TransformSpec } from './types';

/** Rebuilds a transform from its JSON spec (used by loader worker threads). */
export function transformFromSpec(spec: TransformSpec): Transform {
  switch (spec.kind) {
    case 'compose':
      return compose(spec.transforms.map(transformFromSpec));
    case 'randomResizedCrop':
      return randomResizedCrop(spec.options);
    case 'randomCropPad':
      return randomCropPad(spec.options);
    case 'horizontalFlip':
      return horizontalFlip(spec.p);
    case 'colorJitter':
      return colorJitter(spec.options);
    case 'randAugment':
      return randAugment(spec.options);
    case 'normalize':
      return normalize(spec.mean, spec.std);
    case 'randomErasing':
      return randomErasing(spec.options);
    case 'resizeCenterCrop':
      return resizeCenterCrop(spec.options);
    case 'squashResize':
      return squashResize(spec.options);
    case 'toRgb':
      return toRgbTransform();
    default:
      throw new Error(`unknown transform spec kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
