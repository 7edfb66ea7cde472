import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFolder } from '../src/datasets/imageFolder';
import { SyntheticShapes } from '../src/datasets/syntheticShapes';
import { DataLoader, type LoaderBatch } from '../src/loader';
import { buildTrainTransform } from '../src/transforms/factory';
import { efficientNetV2Schedule } from '../src/progressive';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'nextnets-loader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Collected {
  images: number[][];
  labels: number[][];
  indices: number[][];
  targets: number[][];
}

async function collect(loader: DataLoader, epoch: number, overrides = {}): Promise<Collected> {
  const out: Collected = { images: [], labels: [], indices: [], targets: [] };
  for await (const batch of loader.epoch(epoch, overrides)) {
    out.images.push(Array.from(batch.images.dataSync()));
    out.labels.push(Array.from(batch.labels.dataSync()));
    out.targets.push(batch.targets ? Array.from(batch.targets.dataSync()) : []);
    out.indices.push(batch.indices);
    dispose(batch);
  }
  return out;
}

function dispose(batch: LoaderBatch): void {
  batch.images.dispose();
  batch.labels.dispose();
  batch.targets?.dispose();
}

describe('DataLoader', () => {
  const dataset = new SyntheticShapes({ numClasses: 4, size: 24, count: 22, seed: 5 });
  const transform = buildTrainTransform({ size: 16, autoAugment: 'rand-m9-mstd0.5-inc1', reprob: 0.25, interpolation: 'bilinear' });

  it('in-process: NHWC float32 batches, int32 labels, dropLast, no leaked tensors', async () => {
    const loader = new DataLoader({ dataset, batchSize: 4, shuffle: true, seed: 1, dropLast: true, transform, workers: 0 });
    expect(loader.length).toBe(5);
    const before = tf.memory().numTensors;
    let count = 0;
    for await (const batch of loader.epoch(0)) {
      expect(batch.images.shape).toEqual([4, 16, 16, 3]);
      expect(batch.images.dtype).toBe('float32');
      expect(batch.labels.dtype).toBe('int32');
      expect(Array.from(batch.labels.dataSync())).toEqual(batch.indices.map((i) => i % 4));
      dispose(batch);
      count++;
    }
    expect(count).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    const all = new DataLoader({ dataset, batchSize: 4, shuffle: false, transform });
    const epoch = await collect(all, 0);
    expect(epoch.indices.flat()).toEqual(Array.from({ length: 22 }, (_, i) => i));
    expect(epoch.labels.at(-1)).toHaveLength(2);
  });

  it('worker threads give bit-identical batches to in-process, per (seed, epoch), and clean up', async () => {
    const inProcess = new DataLoader({ dataset, batchSize: 4, seed: 9, transform, workers: 0 });
    const threaded = new DataLoader({ dataset, batchSize: 4, seed: 9, transform, workers: 2, prefetch: 3 });
    const before = tf.memory().numTensors;
    const a = await collect(inProcess, 3);
    const b = await collect(threaded, 3);
    expect(b.indices).toEqual(a.indices);
    expect(b.labels).toEqual(a.labels);
    expect(b.images).toEqual(a.images);
    const nextEpoch = await collect(threaded, 4);
    expect(nextEpoch.indices).not.toEqual(a.indices);
    expect(tf.memory().numTensors).toBe(before);
    // early exit from an epoch leaves no tensors behind either
    for await (const batch of threaded.epoch(5)) {
      dispose(batch);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
    await threaded.close();
  });

  it('mixup targets and per-epoch overrides (progressive stage size)', async () => {
    const loader = new DataLoader({
      dataset,
      batchSize: 6,
      seed: 2,
      dropLast: true,
      transform,
      workers: 1,
      mixup: { mixupAlpha: 0.8, cutmixAlpha: 1, numClasses: 4, labelSmoothing: 0.1 },
    });
    const epoch = await collect(loader, 0);
    for (const targets of epoch.targets) {
      expect(targets).toHaveLength(24);
      for (let i = 0; i < 6; i++) expect(targets.slice(i * 4, i * 4 + 4).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    const schedule = efficientNetV2Schedule('b0', 4, { trainSize: 20, ibase: 12 });
    const stage = schedule.stageFor(0);
    const overridden = [];
    for await (const batch of loader.epoch(0, { transform: buildTrainTransform({ size: stage.imageSize }), mixup: null })) {
      overridden.push(batch.images.shape);
      expect(batch.targets).toBeUndefined();
      dispose(batch);
    }
    expect(overridden[0]).toEqual([6, 14, 14, 3]);
    await loader.close();
  });

  it('skips and reports undecodable files from worker threads', async () => {
    const root = join(dir, 'folder');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    for (let i = 0; i < 5; i++) {
      const raw = Buffer.alloc(20 * 16 * 3, 40 * i);
      await sharp(raw, { raw: { width: 20, height: 16, channels: 3 } }).jpeg().toFile(join(root, i % 2 ? 'a' : 'b', `img${i}.jpg`));
    }
    const good = await sharp(Buffer.alloc(20 * 16 * 3, 7), { raw: { width: 20, height: 16, channels: 3 } }).jpeg().toBuffer();
    writeFileSync(join(root, 'a', 'cut.jpg'), good.subarray(0, 60));
    const folder = new ImageFolder(root);
    expect(folder.length).toBe(6);
    const loader = new DataLoader({ dataset: folder, batchSize: 3, shuffle: false, transform: buildTrainTransform({ size: 8 }), workers: 1 });
    const epoch = await collect(loader, 0);
    expect(epoch.indices.flat()).toHaveLength(5);
    expect(loader.skipped).toHaveLength(1);
    expect(loader.skipped[0].path).toMatch(/cut\.jpg$/);
    await loader.close();
  });

  it('rejects bad options and mismatched image sizes clearly', async () => {
    expect(() => new DataLoader({ dataset, batchSize: 0 })).toThrow(/batchSize/);
    const custom = { length: 1, classes: ['x'], get: async () => ({ image: dataset.getSync(0).image, label: 0 }) };
    expect(() => new DataLoader({ dataset: custom, batchSize: 1, workers: 1 })).toThrow(/descriptor/);
    const mixed = {
      length: 2,
      classes: ['x'],
      get: async (i: number) => ({ image: { data: new Uint8Array((4 + i) * 4 * 3), height: 4 + i, width: 4, channels: 3 }, label: 0 }),
    };
    const loader = new DataLoader({ dataset: mixed, batchSize: 2, shuffle: false });
    await expect(collect(loader, 0)).rejects.toThrow(/sample 1 is 5x4x3 but the batch is 4x4x3/);
  });
});

describe('built package (dist layout)', () => {
  it('emits a worker entry that the ESM and CJS builds start', async () => {
    const outDir = join(packageDir, 'node_modules', '.cache', 'data-augment-test-dist');
    const { build } = await import('tsup');
    await build({
      config: false,
      entry: [join(packageDir, 'src/index.ts'), join(packageDir, 'src/node.ts'), join(packageDir, 'src/worker.ts')],
      format: ['esm', 'cjs'],
      outDir,
      shims: true,
      dts: false,
      clean: true,
      silent: true,
      target: 'node20',
    });
    const script = (load: string) => `
      ${load}
      const ds = new da.SyntheticShapes({ numClasses: 3, size: 16, count: 6, seed: 1 });
      const loader = new da.DataLoader({ dataset: ds, batchSize: 3, seed: 4, workers: 1, transform: da.buildTrainTransform({ size: 12 }) });
      let sum = 0;
      (async () => {
        for await (const b of loader.epoch(0)) { sum += b.images.dataSync().reduce((s, v) => s + v, 0); b.images.dispose(); b.labels.dispose(); }
        await loader.close();
        console.log(sum.toFixed(3));
      })();`;
    const cwd = packageDir;
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', script(`import '@tensorflow/tfjs-backend-cpu'; const da = { ...(await import(${JSON.stringify(join(outDir, 'index.js'))})), ...(await import(${JSON.stringify(join(outDir, 'node.js'))})) };`)], { cwd, encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e', script(`require('@tensorflow/tfjs-backend-cpu'); const da = { ...require(${JSON.stringify(join(outDir, 'index.cjs'))}), ...require(${JSON.stringify(join(outDir, 'node.cjs'))}) };`)], { cwd, encoding: 'utf8' });
    const reference = new DataLoader({
      dataset: new SyntheticShapes({ numClasses: 3, size: 16, count: 6, seed: 1 }),
      batchSize: 3,
      seed: 4,
      transform: buildTrainTransform({ size: 12 }),
    });
    let sum = 0;
    for await (const b of reference.epoch(0)) {
      sum += (b.images.dataSync() as Float32Array).reduce((s, v) => s + v, 0);
      dispose(b);
    }
    expect(esm.trim().split('\n').at(-1)).toBe(sum.toFixed(3));
    expect(cjs.trim().split('\n').at(-1)).toBe(sum.toFixed(3));
  });
});
