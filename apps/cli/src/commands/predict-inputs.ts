/** Reads `--input` for predict: a `.npy` tensor (NCHW by default), an image file, or a folder of images. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@nextnets/core-layers/node';
import { Rng, type Transform } from '@nextnets/data-augment';
import { decodeImageFile } from '@nextnets/data-augment/node';
import { CliError } from '../cli/errors.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface PredictInput {
  /** One name per sample (file path, or `<file>[i]` for a tensor). */
  names: string[];
  /** NHWC float32, model-ready. */
  images: tf.Tensor4D;
}

/** A `.npy` batch: NCHW (or NHWC with layout `nhwc`), float32/float64, rank 4 (or 3 = one sample). */
export function readNpyInput(path: string, layout: 'nchw' | 'nhwc', channels: number): PredictInput {
  let array;
  try {
    array = readNpy(path);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  if (!(array.data instanceof Float32Array)) throw new CliError(`${path}: expected float32 data, got dtype ${array.dtype}`);
  const shape = array.shape.length === 3 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 4) throw new CliError(`${path}: expected a rank-4 ${layout.toUpperCase()} array, got shape [${array.shape.join(',')}]`);
  const c = layout === 'nchw' ? shape[1] : shape[3];
  if (c !== channels) {
    throw new CliError(`${path}: has ${c} channels in ${layout.toUpperCase()} layout [${array.shape.join(',')}] but the model expects ${channels} (use --layout nhwc|nchw)`);
  }
  const images = tf.tidy(() => {
    const t = tf.tensor4d(array.data as Float32Array, shape as [number, number, number, number]);
    return layout === 'nchw' ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
  return { names: Array.from({ length: shape[0] }, (_, i) => `${path}[${i}]`), images };
}

function imageFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new CliError(`no .jpg/.jpeg/.png/.webp images in folder ${path}`);
  return files;
}

/** Decodes and preprocesses images with the evaluation transform; a corrupt file is a one-line error. */
export async function readImageInput(path: string, transform: Transform, channels: 1 | 3): Promise<PredictInput> {
  const files = imageFiles(path);
  const pixels: Float32Array[] = [];
  let shape: [number, number, number] | undefined;
  for (const file of files) {
    let decoded;
    try {
      decoded = await decodeImageFile(file, channels);
    } catch (error) {
      throw new CliError((error as Error).message.split('\n')[0]);
    }
    const image = transform.apply(decoded, new Rng(0));
    const here: [number, number, number] = [image.height, image.width, image.channels];
    if (shape && here.some((d, i) => d !== shape![i])) throw new CliError(`${file}: preprocessed to ${here.join('x')}, expected ${shape.join('x')}`);
    shape = here;
    pixels.push(image.data instanceof Float32Array ? image.data : Float32Array.from(image.data));
  }
  const [h, w, c] = shape!;
  const data = new Float32Array(files.length * h * w * c);
  pixels.forEach((p, i) => data.set(p, i * p.length));
  return { names: files, images: tf.tensor4d(data, [files.length, h, w, c]) };
}

/** Dispatches on the input kind. */
export async function readPredictInput(
  path: string,
  options: { layout: 'nchw' | 'nhwc'; channels: number; transform: () => Transform },
): Promise<PredictInput> {
  if (!existsSync(path)) throw new CliError(`input not found: ${path}`);
  if (extname(path).toLowerCase() === '.npy') return readNpyInput(path, options.layout, options.channels);
  if (options.channels !== 1 && options.channels !== 3) throw new CliError(`image input needs a 1- or 3-channel model, got inChans ${options.channels}`);
  return readImageInput(path, options.transform(), options.channels);
}
