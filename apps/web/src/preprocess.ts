/** Images to model inputs: timm's eval transform (resize the shorter side to size / crop_pct, centre crop, normalise). */
import * as tf from '@tensorflow/tfjs-core';
import type { PretrainedCfg } from '@nextnets/core-layers';

/** Decodes an image file, or fails with one line naming it. */
export async function decodeImage(file: Blob, name: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new Error(`${name}: the image cannot be decoded (not a PNG/JPEG/WebP/GIF/BMP, or corrupt)`);
  }
}

/** Pixels of the centre crop, `size` x `size`, as RGBA bytes. */
export function cropPixels(image: CanvasImageSource & { width: number; height: number }, size: number, cropPct: number): Uint8ClampedArray {
  const scale = Math.floor(size / cropPct) / Math.min(image.width, image.height);
  const cropW = size / scale;
  const cropH = size / scale;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, (image.width - cropW) / 2, (image.height - cropH) / 2, cropW, cropH, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

/** A batch [N, size, size, 3] of normalised float32 NHWC inputs. */
export function imagesToTensor(images: (CanvasImageSource & { width: number; height: number })[], size: number, cfg: PretrainedCfg): tf.Tensor4D {
  const out = new Float32Array(images.length * size * size * 3);
  images.forEach((image, n) => {
    const rgba = cropPixels(image, size, cfg.cropPct);
    const base = n * size * size * 3;
    for (let i = 0; i < size * size; i++) {
      for (let c = 0; c < 3; c++) out[base + i * 3 + c] = (rgba[i * 4 + c] / 255 - cfg.mean[c]) / cfg.std[c];
    }
  });
  return tf.tensor4d(out, [images.length, size, size, 3]);
}
