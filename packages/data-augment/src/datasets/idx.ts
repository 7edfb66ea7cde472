import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readRegularFile } from '@nextnets/core-layers/node';
import { checkIndex, type Dataset, type DatasetDescriptor, type Sample } from './types';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Debian `dataset-fashion-mnist` install location. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const DEFAULT_MNIST_DIR = '/usr/share/datasets/mnist';

export interface IdxOptions {
  split?: 'train' | 'test';
  /** Directory with the four IDX files (`.gz` or plain). */
  root?: string;
}

/** Reads a regular file (a device or FIFO fails at once, see `readRegularFile`), gunzipping it when gzipped. */
function readMaybeGzip(path: string): Buffer {
  const bytes = readRegularFile(path);
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** Parses an unsigned-byte IDX file: magic 0x0000 08 <ndim>, then ndim big-endian int32 sizes, then the bytes. */
export function parseIdx(buffer: Buffer, path: string): { dims: number[]; data: Uint8Array } {
  if (buffer.length < 8 || buffer[0] !== 0 || buffer[1] !== 0 || buffer[2] !== 0x08) {
    throw new Error(`${path}: not an unsigned-byte IDX file (bad magic)`);
  }
  const ndim = buffer[3];
  const dims = Array.from({ length: ndim }, (_, i) => buffer.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * ndim;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buffer.length - offset !== expected) {
    throw new Error(`${path}: IDX header says ${dims.join('x')} = ${expected} bytes but the file holds ${buffer.length - offset}`);
  }
  return { dims, data: new Uint8Array(buffer.buffer, buffer.byteOffset + offset, expected) };
}

/** Finds `<prefix>-images-idx3-ubyte[.gz]` (or MNIST's `<prefix>-images.idx3-ubyte`) in `root`. */
function findIdxFile(root: string, prefix: string, kind: 'images' | 'labels'): string {
  const dims = kind === 'images' ? 3 : 1;
  const names = [`${prefix}-${kind}-idx${dims}-ubyte`, `${prefix}-${kind}.idx${dims}-ubyte`];
  for (const name of names) {
    for (const candidate of [`${name}.gz`, name]) {
      if (existsSync(join(root, candidate))) return join(root, candidate);
    }
  }
  throw new Error(`IDX dataset: no ${names[0]}[.gz] in ${root}`);
}

/** MNIST-format dataset (28x28 grayscale, 1 channel) read fully into memory. */
export class IdxDataset implements Dataset {
  readonly length: number;
  readonly height: number;
  readonly width: number;
  private readonly pixels: Uint8Array;
  private readonly labels: Uint8Array;

  constructor(
    readonly imagesPath: string,
    readonly labelsPath: string,
    readonly classes: string[],
  ) {
    const images = parseIdx(readMaybeGzip(imagesPath), imagesPath);
    const labels = parseIdx(readMaybeGzip(labelsPath), labelsPath);
    if (images.dims.length !== 3) throw new Error(`${imagesPath}: expected 3 dims (N,H,W), got ${images.dims.length}`);
    if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
      throw new Error(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images`);
    }
    [this.length, this.height, this.width] = images.dims;
    this.pixels = images.data;
    this.labels = labels.data;
  }

  /** Whether `root` holds the images and labels of both splits (train and t10k), gzipped or plain; reads nothing. */
  static exists(root: string): boolean {
    try {
      for (const prefix of ['train', 't10k']) for (const kind of ['images', 'labels'] as const) findIdxFile(root, prefix, kind);
      return true;
    } catch {
      return false;
    }
  }

  static open(root: string, split: 'train' | 'test', classes: string[]): IdxDataset {
    const prefix = split === 'train' ? 'train' : 't10k';
    return new IdxDataset(findIdxFile(root, prefix, 'images'), findIdxFile(root, prefix, 'labels'), classes);
  }

  get descriptor(): DatasetDescriptor {
    return { kind: 'idx', imagesPath: this.imagesPath, labelsPath: this.labelsPath, classes: this.classes };
  }

  /** Synchronous access (the whole file is in memory). */
  getSync(index: number): Sample {
    checkIndex(index, this.length, 'IdxDataset');
    const size = this.height * this.width;
    return {
      image: { data: this.pixels.subarray(index * size, (index + 1) * size), height: this.height, width: this.width, channels: 1 },
      label: this.labels[index],
    };
  }

  async get(index: number): Promise<Sample> {
    return this.getSync(index);
  }
}

/** Fashion-MNIST (Zalando), by default from the Debian package directory. */
export function FashionMNIST(options: IdxOptions = {}): IdxDataset {
  return IdxDataset.open(options.root ?? DEFAULT_FASHION_MNIST_DIR, options.split ?? 'train', FASHION_MNIST_CLASSES);
}

export function MNIST(options: IdxOptions = {}): IdxDataset {
  return IdxDataset.open(options.root ?? DEFAULT_MNIST_DIR, options.split ?? 'train', MNIST_CLASSES);
}
