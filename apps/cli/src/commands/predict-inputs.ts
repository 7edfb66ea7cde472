/** Reads `--input` for predict: a `.npy` tensor (NCHW by default), an image file, or a folder of images. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@nextnets/core-layers/node';
import { Rng, type Image, type Transform } from '@nextnets/data-augment';
import { decodeImageFile } from '@nextnets/data-augment/node';
import { CliError } from '../cli/errors.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface PredictBatch {
  /** One name per sample (file path, or `<file>[i]` for a tensor). */
  names: string[];
  /** NHWC float32, model-ready; the consumer disposes it. */
  images: tf.Tensor4D;
}

/**
 * `--input` opened for prediction: the sample count and spatial size are known up front, and `batches` decodes and
 * yields at most `batchSize` samples at a time, so memory stays flat however many images a folder holds.
 */
export interface PredictInput {
  count: number;
  /** Height and width of every model-ready sample. */
  size: [number, number];
  batches(batchSize: number): AsyncGenerator<PredictBatch>;
}

/** A `.npy` batch: NCHW (or NHWC with layout `nhwc`), float32, rank 4 (or 3 = one sample), at least one sample. */
export function readNpyInput(path: string, layout: 'nchw' | 'nhwc', channels: number): PredictInput {
  let array;
  try {
    array = readNpy(path);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  if (!(array.data instanceof Float32Array)) throw new CliError(`${path}: expected float32 data, got dtype ${array.dtype}`);
  const data = array.data;
  const shape = array.shape.length === 3 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 4) throw new CliError(`${path}: expected a rank-4 ${layout.toUpperCase()} array, got shape [${array.shape.join(',')}]`);
  const c = layout === 'nchw' ? shape[1] : shape[3];
  if (c !== channels) {
    throw new CliError(`${path}: has ${c} channels in ${layout.toUpperCase()} layout [${array.shape.join(',')}] but the model expects ${channels} (use --layout nhwc|nchw)`);
  }
  if (shape.some((d) => d === 0)) throw new CliError(`${path}: shape [${array.shape.join(',')}] holds no values (an empty batch or a zero-sized image)`);
  const [n, d1, d2, d3] = shape;
  const [h, w] = layout === 'nchw' ? [d2, d3] : [d1, d2];
  const perSample = d1 * d2 * d3;
  return {
    count: n,
    size: [h, w],
    async *batches(batchSize: number) {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const images = tf.tidy(() => {
          const t = tf.tensor4d(data.subarray(start * perSample, (start + size) * perSample), [size, d1, d2, d3]);
          return layout === 'nchw' ? tf.transpose(t, [0, 2, 3, 1]) : t;
        });
        yield { names: Array.from({ length: size }, (_, i) => `${path}[${start + i}]`), images };
      }
    },
  };
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

/** Decodes and preprocesses one image with the evaluation transform; a corrupt file is a one-line error. */
async function preprocess(file: string, transform: Transform, channels: 1 | 3): Promise<Image> {
  let decoded;
  try {
    decoded = await decodeImageFile(file, channels);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  return transform.apply(decoded, new Rng(0));
}

/**
 * Images (one file or a folder), decoded batch by batch. The evaluation transform gives every image the same size,
 * which the first image tells; another size is a one-line error naming the file.
 */
export async function readImageInput(path: string, transform: Transform, channels: 1 | 3): Promise<PredictInput> {
  const files = imageFiles(path);
  const first = await preprocess(files[0], transform, channels);
  const [h, w, c] = [first.height, first.width, first.channels];
  return {
    count: files.length,
    size: [h, w],
    async *batches(batchSize: number) {
      for (let start = 0; start < files.length; start += batchSize) {
        const names = files.slice(start, start + batchSize);
        const data = new Float32Array(names.length * h * w * c);
        for (const [i, file] of names.entries()) {
          const image = start + i === 0 ? first : await preprocess(file, transform, channels);
          if (image.height !== h || image.width !== w || image.channels !== c) {
            throw new CliError(`${file}: preprocessed to ${image.height}x${image.width}x${image.channels}, expected ${h}x${w}x${c}`);
          }
          data.set(image.data, i * h * w * c);
        }
        yield { names, images: tf.tensor4d(data, [names.length, h, w, c]) };
      }
    },
  };
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
