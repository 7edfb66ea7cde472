import type { Image } from '../image';
import type { Transform, TransformSpec } from './types';

/** Mirrors the image left-right. */
export function flipImage(image: Image): Image {
  const { height, width, channels: c } = image;
  const out = image.data instanceof Uint8Array ? new Uint8Array(image.data.length) : new Float32Array(image.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width; x++) {
      const from = row + (width - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) out[row + x * c + ch] = image.data[from + ch];
    }
  }
  return { data: out, height, width, channels: c };
}

/** Flips with probability p (torchvision `RandomHorizontalFlip`: flip when U < p). */
export function horizontalFlip(p = 0.5): Transform<Extract<TransformSpec, { kind: 'horizontalFlip' }>> {
  return {
    spec: { kind: 'horizontalFlip', p },
    apply: (image, rng) => (rng.random() < p ? flipImage(image) : image),
  };
}
