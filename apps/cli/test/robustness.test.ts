/**
 * Issue 23 (datasets, resource bounds, messages): each case reproduces a way a command used to run on bad input and
 * look fine, or to hang or blow up memory. Commands run in-process through `runCli` (same path as the binary).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { stateDict, type RawTensor } from '@nextnets/core-layers';
import { readNpy, saveSafetensors, writeNpy } from '@nextnets/core-layers/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run';
import { buildModel, checkModelFits, estimateParams, networkStride, TRAIN_BYTES_PER_PARAM } from '../src/model/build';
import { loadForFinetune } from '../src/model/finetune-init';
import { loadRecipe, validateRecipe } from '../src/recipes/load';

const work = mkdtempSync(join(tmpdir(), 'nextnets-robust-'));
const TINY = { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], patchSize: 2, numClasses: 3 };
const checkpoint = join(work, 'tiny.safetensors');
const run = join(work, 'run');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nextnets ...args` in this process, capturing its output. */
async function cli(args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'nextnets', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

async function expectOneLineError(args: string[], message: RegExp): Promise<void> {
  const r = await cli(args);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^nextnets: /);
  expect(lines[0]).toMatch(message);
}

async function writeImage(path: string, value: number, size = 20): Promise<void> {
  await sharp(Buffer.alloc(size * size * 3, value), { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);
}

const predict = (extra: string[]) => ['predict', '--model', 'convnext_atto', '--model-args', JSON.stringify(TINY), '--checkpoint', checkpoint, ...extra];

beforeAll(async () => {
  await setupBackend('wasm');
  const model = buildModel('convnext_atto', TINY);
  saveSafetensors(model, checkpoint);
  // a run folder as `nextnets train` leaves it: config.yaml and classes.json beside best/
  mkdirSync(join(run, 'best'), { recursive: true });
  saveSafetensors(model, join(run, 'best', 'model.safetensors'));
  model.dispose();
  writeFileSync(
    join(run, 'config.yaml'),
    `model: {name: convnext_atto, args: ${JSON.stringify(TINY)}}\ndata: {imageSize: 32, cropPct: 1, workers: 0}\noptimizer: {lr: 0.001}\nschedule: {epochs: 1}\ntrain: {batchSize: 4}\n`,
  );
  writeFileSync(join(run, 'classes.json'), JSON.stringify(['c0', 'c1', 'c2']));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('datasets', () => {
  it('item 8: eval labels a folder by the run\'s class names; a class the model never saw is an error naming it', async () => {
    const bad = join(work, 'val-c3');
    const subset = join(work, 'val-c0-c2');
    for (const [root, classes] of [[bad, ['c0', 'c1', 'c3']], [subset, ['c0', 'c2']]] as const) {
      for (const [i, cls] of classes.entries()) {
        mkdirSync(join(root, cls), { recursive: true });
        await writeImage(join(root, cls, 'a.png'), 60 * i);
      }
    }
    await expectOneLineError(['eval', '--checkpoint', join(run, 'best'), '--data', bad], /class 'c3' in .*val-c3 is not one of the 3 known classes/);
    const r = await cli(['eval', '--checkpoint', join(run, 'best'), '--data', subset, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as { count: number; classes: string[]; confusion: number[][] };
    expect(report.count).toBe(2);
    expect(report.classes).toEqual(['c0', 'c1', 'c2']);
    // the c2 image is scored against row c2 (by name), not row c1 (by position)
    expect(report.confusion[2].reduce((s, v) => s + v, 0)).toBe(1);
    expect(report.confusion[1].reduce((s, v) => s + v, 0)).toBe(0);
  });

  it('item 9: eval reports skipped files; a class left without images is an error', async () => {
    const root = join(work, 'val-skips');
    for (const cls of ['c0', 'c1']) mkdirSync(join(root, cls), { recursive: true });
    await writeImage(join(root, 'c0', 'a.png'), 10);
    await writeImage(join(root, 'c1', 'b.png'), 20);
    writeFileSync(join(root, 'c1', 'notes.txt'), 'x');
    const r = await cli(['eval', '--checkpoint', join(run, 'best'), '--data', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped 1 file in .*val-skips: .*notes\.txt \(unsupported extension "\.txt"\)/);
    process.env.NEXTNETS_MAX_IMAGE_PIXELS = '100';
    const big = await cli(['eval', '--checkpoint', join(run, 'best'), '--data', root, '--workers', '0', '--json']);
    delete process.env.NEXTNETS_MAX_IMAGE_PIXELS;
    expect(big.stderr).toMatch(/skipped 2 files in .*val-skips while decoding: .*a\.png \(image is 20x20 .*over the limit/);
    // item 10: an evaluation over no image is an error, not "top-1 NaN%"
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/nextnets: no image of '.*val-skips' could be evaluated/);
    expect(big.stdout).toBe('');
    rmSync(join(root, 'c1', 'b.png'));
    await expectOneLineError(['eval', '--checkpoint', join(run, 'best'), '--data', root], /class 'c1' in .*val-skips has no readable image/);
  });

  it('item 10: a recipe whose split leaves the evaluation set empty is refused', () => {
    const recipe = { model: { name: 'convnext_atto' }, optimizer: { lr: 1 }, schedule: { epochs: 1 }, train: { batchSize: 2 } };
    expect(() => validateRecipe({ ...recipe, data: { valFraction: 0 } }, 'r.yaml')).toThrow(/r\.yaml: data\.valFraction 0 of data\.syntheticCount 512 leaves the evaluation split empty/);
    expect(() => validateRecipe({ ...recipe, data: { syntheticCount: 1 } }, 'r.yaml')).toThrow(/leaves the evaluation split empty/);
    expect(validateRecipe({ ...recipe, data: { syntheticCount: 10 } }, 'r.yaml').data.valFraction).toBe(0.1);
  });

  it('item 11: finetune --from a file that matches only some backbone tensors needs --allow-partial', () => {
    const source = buildModel('convnext_atto', TINY);
    const tensors = new Map<string, RawTensor>(
      [...stateDict(source)].slice(0, 1).map(([name, t]) => [name, { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data) }]),
    );
    source.dispose();
    const model = buildModel('convnext_atto', TINY);
    expect(() => loadForFinetune(model, tensors, 'one.safetensors', 2e-5)).toThrow(
      /^one\.safetensors: only 1 of the \d+ backbone tensors load \(first missing: .*, not in checkpoint\); pass --allow-partial/,
    );
    expect(loadForFinetune(model, tensors, 'one.safetensors', 2e-5, true).loaded).toBe(1);
    model.dispose();
  });
});

describe('resource bounds', () => {
  it('item 12: predict refuses an image over the pixel limit with one line', async () => {
    const image = join(work, 'wide.png');
    await writeImage(image, 5, 40);
    process.env.NEXTNETS_MAX_IMAGE_PIXELS = '1000';
    try {
      await expectOneLineError(predict(['--input', image]), /wide\.png: image is 40x40 \(1600 pixels\), over the limit of 1000 pixels/);
    } finally {
      delete process.env.NEXTNETS_MAX_IMAGE_PIXELS;
    }
  });

  it('item 13: predict decodes and runs a folder batch by batch: peak tensor memory does not grow with the folder', async () => {
    const peak = async (count: number) => {
      const folder = join(work, `folder-${count}`);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < count; i++) await writeImage(join(folder, `${String(i).padStart(2, '0')}.png`), 10 * i, 32);
      const output = join(work, `logits-${count}.npy`);
      let result: Result | undefined;
      const info = await tf.profile(async () => {
        result = await cli(predict(['--input', folder, '--input-size', '32', '--batch-size', '2', '--output', output]));
      });
      expect(result!.code, result!.stderr).toBe(0);
      expect(result!.stdout.trim().split('\n')).toHaveLength(count);
      expect(readNpy(output).shape).toEqual([count, 3]);
      return info.peakBytes;
    };
    const small = await peak(2);
    const large = await peak(12);
    // 10 more images of 32x32x3 float32 held at once would add 120 KB
    expect(large - small).toBeLessThan(2 * 32 * 32 * 3 * 4);
  });

  it('item 14: a FIFO or a device as --checkpoint fails at once with one line', async () => {
    const fifo = join(work, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    await expectOneLineError(predict(['--input', checkpoint]).map((a) => (a === checkpoint ? fifo : a)), /pipe\.safetensors: not a regular file \(a FIFO\)/);
    const recipe = join(work, 'pipe.yaml');
    execFileSync('mkfifo', [recipe]);
    expect(() => loadRecipe(recipe)).toThrow(/cannot read recipe .*pipe\.yaml: .*not a regular file \(a FIFO\)/);
  });

  it('item 15: inputs smaller than the total stride are refused naming the minimum', async () => {
    const model = buildModel('convnext_atto', TINY);
    expect(networkStride(model, 3)).toBe(32);
    model.dispose();
    const npy = join(work, 'one-pixel.npy');
    writeNpy(npy, { shape: [1, 3, 1, 1], data: new Float32Array(3) });
    await expectOneLineError(predict(['--input', npy]), /input .*one-pixel\.npy is 1x1 but convnext_atto needs at least 32x32 \(its total stride\)/);
    const image = join(work, 'ok.png');
    await writeImage(image, 1);
    await expectOneLineError(predict(['--input', image, '--input-size', '8']), /is 8x8 but convnext_atto needs at least 32x32/);
    const big = buildModel('convnext_atto', { ...TINY, patchSize: 8 });
    expect(networkStride(big, 3)).toBe(64);
    big.dispose();
  });

  it('item 15: absurd model args are refused from an estimate before allocating', () => {
    expect(() => buildModel('convnext_atto', { depths: [100000, 1, 1, 1] })).toThrow(/make 100003 blocks, over the limit of 10000/);
    expect(estimateParams('convnext_atto', TINY)).toBeGreaterThan(1000);
    process.env.NEXTNETS_MEMORY_BYTES = String(2 ** 30);
    try {
      const before = tf.memory().numBytes;
      expect(() => buildModel('convnext_atto', { dims: [1024, 2048, 4096, 8192] })).toThrow(/parameters: about \d+\.\d GiB of weights, more than this machine's 1\.0 GiB/);
      expect(() => checkModelFits('convnext_atto', { dims: [256, 512, 1024, 2048] }, TRAIN_BYTES_PER_PARAM)).toThrow(/GiB to train/);
      expect(checkModelFits('convnext_atto', { dims: [256, 512, 1024, 2048] })).toBeGreaterThan(1e8);
      expect(tf.memory().numBytes - before).toBeLessThan(64);
      expect(checkModelFits('convnext_atto', TINY)).toBeGreaterThan(0);
    } finally {
      delete process.env.NEXTNETS_MEMORY_BYTES;
    }
  });

  it('item 15: bench refuses shapes below the stride or beyond memory before running a case', async () => {
    const out = join(work, 'bench');
    await expectOneLineError(['bench', '--models', 'convnext_atto', '--shapes', '16x2', '--no-peer', '--out', out], /--shapes 16x2 is 16x16 but convnext_atto needs at least 32x32/);
    await expectOneLineError(['bench', '--models', 'convnext_atto', '--shapes', '4096x64', '--no-peer', '--out', out], /convnext_atto at 4096x4096, batch 64 needs about \d+\.\d GiB of activations/);
    expect(readdirSync(work)).not.toContain('bench');
  });
});

describe('messages', () => {
  it('item 16: a broken config.yaml or classes.json in a checkpoint folder names the file', async () => {
    const broken = join(work, 'broken');
    mkdirSync(join(broken, 'best'), { recursive: true });
    saveSafetensors(buildModel('convnext_atto', TINY), join(broken, 'best', 'model.safetensors'));
    writeFileSync(join(broken, 'config.yaml'), 'model: {name: convnext_atto\n  args: [oops');
    await expectOneLineError(['eval', '--checkpoint', join(broken, 'best'), '--data', 'synthetic'], /broken\/config\.yaml: cannot parse/);
    writeFileSync(join(broken, 'config.yaml'), `model: {name: convnext_atto, args: ${JSON.stringify(TINY)}}\noptimizer: {lr: 1}\nschedule: {epochs: 1}\ntrain: {batchSize: 2}\n`);
    writeFileSync(join(broken, 'classes.json'), '["c0", "c1"');
    await expectOneLineError(['eval', '--checkpoint', join(broken, 'best'), '--data', 'synthetic'], /broken\/classes\.json: cannot parse/);
    writeFileSync(join(broken, 'classes.json'), '{"a": 1}');
    await expectOneLineError(['eval', '--checkpoint', join(broken, 'best'), '--data', 'synthetic'], /broken\/classes\.json: expected a JSON array of class names/);
  });

  it('item 16: an empty .npy is a one-line error, not a tfjs concat message', async () => {
    const empty = join(work, 'empty.npy');
    writeNpy(empty, { shape: [0, 3, 16, 16], data: new Float32Array(0) });
    await expectOneLineError(predict(['--input', empty]), /empty\.npy: shape \[0,3,16,16\] holds no values/);
  });

  it('item 16: std 0 in a recipe is a validation error naming the key', () => {
    const recipe = { model: { name: 'convnext_atto' }, optimizer: { lr: 1 }, schedule: { epochs: 1 }, train: { batchSize: 2 } };
    expect(() => validateRecipe({ ...recipe, data: { std: [0, 0, 0] } }, 'r.yaml')).toThrow(/r\.yaml: invalid value for 'data\.std\.0': std values must be > 0/);
  });

  it('item 16: eval, predict, bench and export check --out before computing anything', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    const missing = join(work, 'no-such-checkpoint');
    // the checkpoint does not exist: the --out error must come first
    await expectOneLineError(['eval', '--checkpoint', missing, '--data', 'synthetic', '--out', join(file, 'eval')], /--out .*a-file\/eval: .*a-file is a file, not a folder/);
    await expectOneLineError(['export', '--checkpoint', missing, '--out', file], /--out .*a-file: .*a-file is a file, not a folder/);
    await expectOneLineError(['predict', '--checkpoint', missing, '--input', file, '--output', join(work, 'nope', 'x.npy')], /--output .*x\.npy: folder .*nope does not exist/);
    await expectOneLineError(['bench', '--models', 'no_such_model', '--no-peer', '--out', join(file, 'b')], /a-file is a file, not a folder/);
  });
});
