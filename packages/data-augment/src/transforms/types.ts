import type { Image } from '../image';
import type { Rng } from '../random';

/**
 * A per-image transform. `spec` is a plain JSON description from which a worker thread rebuilds the same transform
 * (see `transformFromSpec`), so transforms cross thread boundaries without sending functions.
 */
export interface Transform<S extends TransformSpec = TransformSpec> {
  readonly spec: S;
  apply(image: Image, rng: Rng): Image;
}

export type TransformSpec =
  | { kind: 'compose'; transforms: TransformSpec[] }
  | { kind: 'randomResizedCrop'; options: import('./randomResizedCrop').RandomResizedCropOptions }
  | { kind: 'randomCropPad'; options: import('./randomCropPad').RandomCropPadOptions }
  | { kind: 'horizontalFlip'; p: number }
  | { kind: 'colorJitter'; options: import('./colorJitter').ColorJitterOptions }
  | { kind: 'randAugment'; options: import('./randAugment').RandAugmentOptions }
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'randomErasing'; options: import('./randomErasing').RandomErasingOptions }
  | { kind: 'resizeCenterCrop'; options: import('./resizeCenterCrop').ResizeCenterCropOptions }
  | { kind: 'squashResize'; options: import('./squashResize').SquashResizeOptions }
  | { kind: 'toRgb' };
