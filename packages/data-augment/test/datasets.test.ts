import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cifar10, Cifar10Dataset, CIFAR10_CLASSES } from '../src/datasets/cifar10';
import { datasetFromDescriptor } from '../src/datasets/fromDescriptor';
import { DEFAULT_FASHION_MNIST_DIR, FashionMNIST, FASHION_MNIST_CLASSES, IdxDataset, parseIdx } from '../src/datasets/idx';
import { decodeImageFile, describeSkipped, ImageFolder } from '../src/datasets/imageFolder';
import { splitDataset, toRgbDataset } from '../src/datasets/split';
import { SyntheticShapes } from '../src/datasets/syntheticShapes';
import { SampleDecodeError } from '../src/datasets/types';
import { pixel } from './helpers';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nextnets-da-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeSolid(path: string, rgb: [number, number, number], width = 12, height = 10): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = rgb[i % 3];
  await sharp(raw, { raw: { width, height, channels: 3 } }).toFile(path);
}

describe('ImageFolder', () => {
  it('decodes PNG/JPEG/WebP, skips and reports corrupt files, never crashes', async () => {
    const root = join(dir, 'folder');
    mkdirSync(join(root, 'cat'), { recursive: true });
    mkdirSync(join(root, 'dog'), { recursive: true });
    await writeSolid(join(root, 'cat', 'a.png'), [255, 0, 0]);
    await writeSolid(join(root, 'cat', 'b.webp'), [250, 10, 10]);
    await writeSolid(join(root, 'dog', 'c.jpg'), [0, 0, 255]);
    const gray = Buffer.alloc(8 * 6, 77);
    await sharp(gray, { raw: { width: 8, height: 6, channels: 1 } }).png().toFile(join(root, 'dog', 'g.png'));
    writeFileSync(join(root, 'dog', 'fake.jpg'), 'this is not a jpeg at all');
    writeFileSync(join(root, 'dog', 'notes.txt'), 'hello');
    // valid PNG signature, truncated body: passes the scan, fails at decode
    const png = await sharp(Buffer.alloc(20 * 20 * 3, 9), { raw: { width: 20, height: 20, channels: 3 } }).png().toBuffer();
    writeFileSync(join(root, 'dog', 'truncated.png'), png.subarray(0, 40));

    const folder = new ImageFolder(root);
    expect(folder.classes).toEqual(['cat', 'dog']);
    expect(folder.skipped.map((s) => s.path.split('/').pop()).sort()).toEqual(['fake.jpg', 'notes.txt']);
    expect(folder.skipped.find((s) => s.path.endsWith('fake.jpg'))!.reason).toMatch(/signature/);
    expect(folder.length).toBe(5);

    const first = await folder.get(0);
    expect(first.label).toBe(0);
    expect([first.image.height, first.image.width, first.image.channels]).toEqual([10, 12, 3]);
    expect(pixel(first.image, 3, 4)).toEqual([255, 0, 0]);
    const grayIndex = folder.files.findIndex((f) => f.path.endsWith('g.png'));
    expect(pixel((await folder.get(grayIndex)).image, 0, 0)).toEqual([77, 77, 77]);

    const truncatedIndex = folder.files.findIndex((f) => f.path.endsWith('truncated.png'));
    await expect(folder.get(truncatedIndex)).rejects.toBeInstanceOf(SampleDecodeError);
    expect(folder.skipped).toHaveLength(3);

    const verified = await ImageFolder.verified(root);
    expect(verified.length).toBe(4);
    expect(verified.skipped).toHaveLength(3);
    const grayscale = new ImageFolder(root, { channels: 1 });
    expect((await grayscale.get(0)).image.channels).toBe(1);
    expect(() => new ImageFolder(join(dir, 'missing'))).toThrow(/cannot read directory/);
  });
});

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  const present = existsSync(DEFAULT_FASHION_MNIST_DIR);
  if (!present) console.warn(`skipping Fashion-MNIST tests: ${DEFAULT_FASHION_MNIST_DIR} is absent (apt install dataset-fashion-mnist)`);

  it.skipIf(!present)('reads the gzipped IDX train and test splits', () => {
    const test = FashionMNIST({ split: 'test' });
    expect(test.length).toBe(10000);
    expect(test.classes).toEqual(FASHION_MNIST_CLASSES);
    const sample = test.getSync(0);
    expect([sample.image.height, sample.image.width, sample.image.channels]).toEqual([28, 28, 1]);
    // first test image of Fashion-MNIST is an ankle boot (label 9)
    expect(sample.label).toBe(9);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < test.length; i++) counts[test.getSync(i).label]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    const train = FashionMNIST({ split: 'train' });
    expect(train.length).toBe(60000);
    expect(datasetFromDescriptor(train.descriptor).length).toBe(60000);
  });

  it('reads plain (un-gzipped) IDX files and rejects a bad header clearly', () => {
    const root = join(dir, 'idx');
    mkdirSync(root, { recursive: true });
    const header = (magic: number[], dims: number[]) => Buffer.from([...magic, ...dims.flatMap((d) => [0, 0, d >> 8, d & 255])]);
    writeFileSync(join(root, 't10k-images-idx3-ubyte'), Buffer.concat([header([0, 0, 8, 3], [2, 2, 3]), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])]));
    writeFileSync(join(root, 't10k-labels-idx1-ubyte'), Buffer.concat([header([0, 0, 8, 1], [2]), Buffer.from([4, 7])]));
    const ds = FashionMNIST({ root, split: 'test' });
    expect(ds.length).toBe(2);
    expect(Array.from(ds.getSync(1).image.data)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(ds.getSync(1).label).toBe(7);
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 'x.idx')).toThrow(/x.idx: not an unsigned-byte IDX/);
    expect(() => FashionMNIST({ root, split: 'train' })).toThrow(/no train-images-idx3-ubyte/);
  });

  it('IdxDataset.exists: both splits, images and labels, gzipped or plain', () => {
    const root = join(dir, 'idx-exists');
    mkdirSync(root, { recursive: true });
    expect(IdxDataset.exists(join(dir, 'nowhere'))).toBe(false);
    expect(IdxDataset.exists(root)).toBe(false);
    for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz']) writeFileSync(join(root, name), '');
    expect(IdxDataset.exists(root)).toBe(false);
    writeFileSync(join(root, 'train-labels.idx1-ubyte'), '');
    expect(IdxDataset.exists(root)).toBe(true);
    expect(IdxDataset.exists(DEFAULT_FASHION_MNIST_DIR)).toBe(existsSync(DEFAULT_FASHION_MNIST_DIR));
  });
});

describe('Cifar10', () => {
  it('reads binary batches (label byte + CHW planes) into HWC images', () => {
    const root = join(dir, 'cifar');
    mkdirSync(root, { recursive: true });
    const record = (label: number, r: number, g: number, b: number) => {
      const buf = Buffer.alloc(3073);
      buf[0] = label;
      buf.fill(r, 1, 1025);
      buf.fill(g, 1025, 2049);
      buf.fill(b, 2049, 3073);
      buf[1 + 33] = 200; // R at (y=1, x=1)
      return buf;
    };
    for (let i = 1; i <= 5; i++) writeFileSync(join(root, `data_batch_${i}.bin`), Buffer.concat([record(i, 10, 20, 30), record(9, 1, 2, 3)]));
    writeFileSync(join(root, 'test_batch.bin'), record(3, 4, 5, 6));
    const train = Cifar10(root);
    expect(train.length).toBe(10);
    expect(train.classes).toEqual(CIFAR10_CLASSES);
    const s = train.getSync(2);
    expect(s.label).toBe(2);
    expect(pixel(s.image, 0, 0)).toEqual([10, 20, 30]);
    expect(pixel(s.image, 1, 1)).toEqual([200, 20, 30]);
    expect(Cifar10(root, { split: 'test' }).getSync(0).label).toBe(3);
    expect(() => Cifar10(join(dir, 'nowhere'))).toThrow(/missing .*data_batch_1.bin/);
  });
});

describe('SyntheticShapes', () => {
  it('is deterministic, balanced and has visually distinct classes', () => {
    const ds = new SyntheticShapes({ numClasses: 6, size: 32, count: 120, seed: 3 });
    expect(ds.classes).toEqual(['circle', 'square', 'triangle', 'cross', 'ring', 'stripes']);
    const a = ds.getSync(7);
    expect(Array.from(a.image.data)).toEqual(Array.from(new SyntheticShapes({ numClasses: 6, size: 32, count: 120, seed: 3 }).getSync(7).image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(new SyntheticShapes({ numClasses: 6, size: 32, count: 120, seed: 4 }).getSync(7).image.data));
    // the shape covers a sensible fraction of the image: count pixels far from the corner (background) colour
    for (let i = 0; i < 12; i++) {
      const { image } = ds.getSync(i);
      const corner = pixel(image, 0, 0);
      let far = 0;
      for (let p = 0; p < 32 * 32; p++) {
        const d = Math.hypot(image.data[3 * p] - corner[0], image.data[3 * p + 1] - corner[1], image.data[3 * p + 2] - corner[2]);
        if (d > 60) far++;
      }
      expect(far).toBeGreaterThan(20);
      expect(far).toBeLessThan(32 * 32 * 0.8);
    }
    expect(() => new SyntheticShapes({ numClasses: 7 })).toThrow(/numClasses/);
  });

  it('grayscale (channels 1): one channel, shape 80+ levels from the background, rebuilt from its descriptor', async () => {
    const ds = new SyntheticShapes({ numClasses: 4, size: 28, count: 40, seed: 3, channels: 1 });
    const rebuilt = datasetFromDescriptor(JSON.parse(JSON.stringify(ds.descriptor)));
    for (let i = 0; i < 12; i++) {
      const { image, label } = ds.getSync(i);
      expect([image.height, image.width, image.channels, image.data.length]).toEqual([28, 28, 1, 28 * 28]);
      expect(label).toBe(i % 4);
      const corner = image.data[0];
      const far = Array.from(image.data).filter((v) => Math.abs(v - corner) > 40).length;
      expect(far).toBeGreaterThan(20);
      expect(far).toBeLessThan(28 * 28 * 0.8);
    }
    expect(Array.from(ds.getSync(5).image.data)).toEqual(Array.from(ds.getSync(5).image.data));
    expect(Array.from((await rebuilt.get(5)).image.data)).toEqual(Array.from(ds.getSync(5).image.data));
  });

  it('rejects other channel counts', () => {
    expect(() => new SyntheticShapes({ channels: 2 as 1 })).toThrow('SyntheticShapes: channels must be 1 or 3, got 2');
  });
});

describe('splitDataset / toRgbDataset', () => {
  it('splits disjointly and reproducibly; toRgb replicates grayscale', async () => {
    const ds = new SyntheticShapes({ numClasses: 3, size: 8, count: 50, seed: 1 });
    const { train, val } = splitDataset(ds, 0.2, 7);
    expect(val.length).toBe(10);
    expect(train.length).toBe(40);
    expect(new Set([...train.indices, ...val.indices]).size).toBe(50);
    expect(splitDataset(ds, 0.2, 7).val.indices).toEqual(val.indices);
    expect(splitDataset(ds, 0.2, 8).val.indices).not.toEqual(val.indices);
    expect((await val.get(0)).label).toBe(val.indices[0] % 3);
    const rebuilt = datasetFromDescriptor(JSON.parse(JSON.stringify(val.descriptor)));
    expect(Array.from((await rebuilt.get(3)).image.data)).toEqual(Array.from((await val.get(3)).image.data));

    const grayRoot = join(dir, 'gray');
    mkdirSync(join(grayRoot, 'x'), { recursive: true });
    mkdirSync(join(grayRoot, 'y'), { recursive: true });
    await sharp(Buffer.alloc(4 * 4, 50), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(join(grayRoot, 'x', 'a.png'));
    await sharp(Buffer.alloc(4 * 4, 60), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(join(grayRoot, 'y', 'b.png'));
    const rgb = toRgbDataset(new ImageFolder(grayRoot, { channels: 1 }));
    const sample = await rgb.get(0);
    expect(sample.image.channels).toBe(3);
    expect(pixel(sample.image, 1, 1)).toEqual([50, 50, 50]);
  });
});

/** CRC-32 (the PNG chunk checksum, ISO 3309 polynomial), for crafting a PNG header. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A small valid PNG whose IHDR is rewritten to declare `width` x `height` (a decompression bomb's header). */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer());
  // signature (8) + length (4) + 'IHDR' (4) + 13 data bytes + CRC (4)
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('issue 23: datasets and image bounds', () => {
  it('item 8: a validation folder is labelled by class name; a class the training folder lacks is an error naming it', async () => {
    const root = join(dir, 'byname');
    for (const [split, classes] of [['train', ['c0', 'c1', 'c2']], ['val', ['c0', 'c1', 'c3']], ['val2', ['c0', 'c2']]] as const) {
      for (const [i, cls] of classes.entries()) {
        mkdirSync(join(root, split, cls), { recursive: true });
        await writeSolid(join(root, split, cls, 'a.png'), [40 * i, 0, 0]);
      }
    }
    const train = new ImageFolder(join(root, 'train'));
    expect(() => new ImageFolder(join(root, 'val'), { classes: train.classes })).toThrow(
      /class 'c3' in .*val is not one of the 3 known classes \(c0, c1, c2\)/,
    );
    const val = new ImageFolder(join(root, 'val2'), { classes: train.classes });
    expect(val.classes).toEqual(['c0', 'c1', 'c2']);
    expect(val.files.map((f) => [f.path.split('/').at(-2), f.label])).toEqual([
      ['c0', 0],
      ['c2', 2],
    ]);
    expect((await val.get(1)).label).toBe(2);
    const rebuilt = datasetFromDescriptor(JSON.parse(JSON.stringify(val.descriptor)));
    expect((await rebuilt.get(1)).label).toBe(2);
  });

  it('item 9: an empty class and a one-class folder are errors; a dangling symlink is skipped and reported', async () => {
    const root = join(dir, 'holes');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    await writeSolid(join(root, 'a', 'one.png'), [1, 2, 3]);
    await writeSolid(join(root, 'a', 'two.png'), [1, 2, 3]);
    writeFileSync(join(root, 'b', 'x.txt'), 'not an image');
    writeFileSync(join(root, 'b', 'y.png'), 'not a png');
    expect(() => new ImageFolder(root)).toThrow(/class 'b' in .*holes has no readable image \(skipped 2 files in .*b: .*x\.txt \(unsupported extension/);

    await writeSolid(join(root, 'b', 'z.png'), [9, 9, 9]);
    symlinkSync(join(root, 'a', 'gone.png'), join(root, 'a', 'link.png'));
    const folder = new ImageFolder(root);
    expect(folder.length).toBe(3);
    expect(folder.skipped.map((s) => [s.path.split('/').pop(), s.reason])).toEqual([
      ['link.png', 'dangling symlink'],
      ['x.txt', 'unsupported extension ".txt"'],
      ['y.png', 'file too short (9 bytes)'],
    ]);
    expect(describeSkipped(folder.skipped, root, 2)).toMatch(/^skipped 3 files in .*holes: .*link\.png \(dangling symlink\), .*x\.txt \(unsupported extension "\.txt"\), and 1 more$/);
    expect(describeSkipped([], root)).toBeUndefined();

    const single = join(dir, 'single');
    mkdirSync(join(single, 'only'), { recursive: true });
    await writeSolid(join(single, 'only', 'a.png'), [5, 5, 5]);
    expect(() => new ImageFolder(single)).toThrow(/only one class sub-folder \('only'\); classification needs at least 2/);
  });

  it('item 10: a split that leaves the validation (or training) set empty is an error', () => {
    const ds = new SyntheticShapes({ numClasses: 2, size: 8, count: 1, seed: 1 });
    expect(() => splitDataset(ds, 0.1)).toThrow(/valFraction 0.1 of 1 images leaves the validation split empty/);
    const ten = new SyntheticShapes({ numClasses: 2, size: 8, count: 10, seed: 1 });
    expect(() => splitDataset(ten, 0)).toThrow(/leaves the validation split empty/);
    expect(() => splitDataset(ten, 0.99)).toThrow(/leaves the training split empty/);
    expect(splitDataset(ten, 0.1).val.length).toBe(1);
  });

  it('item 12: an image whose header declares too many pixels is refused before decoding, with one line', async () => {
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, await pngDeclaring(16000, 16000));
    const error = await decodeImageFile(bomb).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SampleDecodeError);
    expect((error as Error).message).toMatch(/bomb\.png: image is 16000x16000 \(256\.0 megapixels\), over the limit of 40\.0 megapixels/);
    expect((error as Error).message).not.toMatch(/\n/);

    const small = join(dir, 'small.png');
    await writeSolid(small, [1, 1, 1], 20, 10);
    expect((await decodeImageFile(small, 3, 200)).width).toBe(20);
    await expect(decodeImageFile(small, 3, 199)).rejects.toThrow(/image is 20x10 .* over the limit/);
    process.env.NEXTNETS_MAX_IMAGE_PIXELS = '100';
    try {
      await expect(decodeImageFile(small)).rejects.toThrow(/image is 20x10 \(200 pixels\), over the limit of 100 pixels/);
    } finally {
      delete process.env.NEXTNETS_MAX_IMAGE_PIXELS;
    }
    await expect(decodeImageFile(dir)).rejects.toThrow(/not a regular file/);
  });
});

describe('issue 23 item 14: dataset files must be regular files', () => {
  it('an IDX or CIFAR-10 path that is a FIFO fails at once with one line', () => {
    const fifo = join(dir, 'train-images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    expect(() => new IdxDataset(fifo, fifo, ['a', 'b'])).toThrow(/train-images-idx3-ubyte: not a regular file \(a FIFO\)/);
    expect(() => new Cifar10Dataset([fifo])).toThrow(/not a regular file \(a FIFO\)/);
  });
});
