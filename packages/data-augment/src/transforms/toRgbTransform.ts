import { toRgb } from '../image';
import type { Transform, TransformSpec } from './types';

/** Replicates grayscale to 3 channels (for models with a 3-channel stem). */
export function toRgbTransform(): Transform<Extract<TransformSpec, { kind: 'toRgb' }>> {
  return { spec: { kind: 'toRgb' }, apply: (image) => toRgb(image) };
}
