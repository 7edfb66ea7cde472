/**
 * Loader throughput: decoded + augmented images/s.
 *  - ImageFolder: ~200 JPEGs of ~300x400 generated into a temp dir, train transform RRC(224) + flip + RandAugment
 *    (rand-m9-mstd0.5-inc1) + normalize, with 0, 1 and 2 worker threads.
 *  - Fashion-MNIST (Debian files) at 32x32: RRC(32) + flip + normalize, when the dataset is installed.
 * Prints one JSON object. Usage: pnpm bench [--images 200] [--fmnist 6000]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import {
  buildTrainTransform,
  Rng,
  Subset,
  type Dataset,
  type Transform,
} from '../src/index';
import {
  DataLoader,
  DEFAULT_FASHION_MNIST_DIR,
  FashionMNIST,
  ImageFolder,
} from '../src/node';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Smooth random colour blobs (JPEG-friendly, not trivially compressible). */
async function writeJpegs(root: string, count: number): Promise<void> {
  const rng = new Rng(1);
  for (let i = 0; i < count; i++) {
    const cls = join(root, `class${i % 4}`);
    mkdirSync(cls, { recursive: true });
    const width = 380 + rng.randint(0, 40);
    const height = 280 + rng.randint(0, 40);
    const raw = Buffer.alloc(width * height * 3);
    const [fx, fy, phase] = [rng.uniform(0.01, 0.05), rng.uniform(0.01, 0.05), rng.uniform(0, 6)];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        raw[o] = 128 + 100 * Math.sin(fx * x + phase);
        raw[o + 1] = 128 + 100 * Math.cos(fy * y);
        raw[o + 2] = (x * y + rng.randint(0, 30)) & 255;
      }
    }
    await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(cls, `img${i}.jpg`));
  }
}

interface Measured {
  imagesPerSecond: number;
  /** CPU time of all threads (main, workers, libvips) per image: the load-independent cost. */
  processCpuMsPerImage: number;
}

async function throughput(dataset: Dataset, transform: Transform, workers: number, batchSize: number): Promise<Measured> {
  const loader = new DataLoader({ dataset, batchSize, transform, workers, seed: 0, shuffle: true });
  // warm-up epoch (worker start-up, JIT), then a timed one
  for await (const batch of loader.epoch(0)) {
    batch.images.dispose();
    batch.labels.dispose();
  }
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let images = 0;
  for await (const batch of loader.epoch(1)) {
    images += batch.images.shape[0];
    batch.images.dispose();
    batch.labels.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await loader.close();
  return {
    imagesPerSecond: Math.round((images / seconds) * 10) / 10,
    processCpuMsPerImage: Math.round(((cpu.user + cpu.system) / 1000 / images) * 100) / 100,
  };
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'nextnets-bench-'));
  const result: Record<string, unknown> = { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg()[0] };
  try {
    const count = arg('images', 200);
    await writeJpegs(root, count);
    const folder = new ImageFolder(root);
    const train224 = buildTrainTransform({ size: 224, autoAugment: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic' });
    const folderResults: Record<string, Measured> = {};
    for (const workers of [0, 1, 2]) folderResults[`workers${workers}`] = await throughput(folder, train224, workers, 32);
    result.imageFolder224 = { images: folder.length, source: '~300x400 JPEG', transform: 'RRC224 bicubic + flip + rand-m9-mstd0.5-inc1 + normalize', results: folderResults };

    if (existsSync(DEFAULT_FASHION_MNIST_DIR)) {
      const full = FashionMNIST({ split: 'train' });
      const n = Math.min(arg('fmnist', 6000), full.length);
      const subset = new Subset(full, Array.from({ length: n }, (_, i) => i));
      const train32 = buildTrainTransform({ size: 32, scale: [0.35, 1], colorJitter: 0, mean: [0.5], std: [0.5] });
      const fmResults: Record<string, Measured> = {};
      for (const workers of [0, 1, 2]) fmResults[`workers${workers}`] = await throughput(subset, train32, workers, 128);
      result.fashionMnist32 = { images: n, transform: 'RRC32 + flip + normalize', results: fmResults };
    } else {
      result.fashionMnist32 = `skipped: ${DEFAULT_FASHION_MNIST_DIR} not found`;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  result.loadAverageAtEnd = loadavg()[0];
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
