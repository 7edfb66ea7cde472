import type { Image } from '../image';
import type { Transform, TransformSpec } from './types';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
/** Mean/std 0.5 (EfficientNetV2 S/M/L/XL TF ports, EfficientNetV2 paper; official effnetv2_model.py). */
export const INCEPTION_MEAN = [0.5, 0.5, 0.5];
export const INCEPTION_STD = [0.5, 0.5, 0.5];

/** ToTensor + Normalize: byte values v become (v/255 - mean[c]) / std[c] as float32. */
export function normalize(mean: number[] = IMAGENET_MEAN, std: number[] = IMAGENET_STD): Transform<Extract<TransformSpec, { kind: 'normalize' }>> {
  if (mean.length !== std.length) throw new Error(`normalize: mean has ${mean.length} values but std has ${std.length}`);
  return {
    spec: { kind: 'normalize', mean, std },
    apply(image: Image): Image {
      const c = image.channels;
      if (mean.length !== c && mean.length !== 1) {
        throw new Error(`normalize: image has ${c} channels but mean/std have ${mean.length}`);
      }
      const scale = Array.from({ length: c }, (_, ch) => 1 / (255 * std[mean.length === 1 ? 0 : ch]));
      const shift = Array.from({ length: c }, (_, ch) => mean[mean.length === 1 ? 0 : ch] / std[mean.length === 1 ? 0 : ch]);
      const out = new Float32Array(image.data.length);
      const src = image.data;
      for (let ch = 0; ch < c; ch++) {
        const a = scale[ch];
        const b = shift[ch];
        for (let i = ch; i < out.length; i += c) out[i] = src[i] * a - b;
      }
      return { data: out, height: image.height, width: image.width, channels: c };
    },
  };
}
