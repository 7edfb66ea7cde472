/** Malformed inputs give one line `nextnets: <message>` on stderr (no stack trace) and exit code 1. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@nextnets/backend';
import { readSafetensors, saveSafetensors } from '@nextnets/core-layers/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/model/build';
import { runCliSync } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-errors-'));
const TINY = { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], patchSize: 2, numClasses: 4 };
const checkpoint = join(work, 'tiny.safetensors');

beforeAll(async () => {
  await setupBackend('wasm');
  const model = buildModel('convnext_atto', TINY);
  saveSafetensors(model, checkpoint);
  model.dispose();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function expectOneLineError(args: string[], message: RegExp): void {
  const r = runCliSync(args);
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^nextnets: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const predict = (extra: string[]) => ['predict', '--model', 'convnext_atto', '--model-args', JSON.stringify(TINY), ...extra];

describe('one-line errors', () => {
  it('missing input file', () => {
    expectOneLineError(predict(['--checkpoint', checkpoint, '--input', join(work, 'nope.png')]), /input not found: .*nope\.png/);
  });

  it('missing checkpoint file', () => {
    expectOneLineError(predict(['--checkpoint', join(work, 'nope.safetensors'), '--input', checkpoint]), /checkpoint not found/);
  });

  it('corrupt image', () => {
    const bad = join(work, 'corrupt.png');
    writeFileSync(bad, 'this is not a PNG file');
    expectOneLineError(predict(['--checkpoint', checkpoint, '--input', bad]), /cannot decode .*corrupt\.png/);
  });

  it('checkpoint of another model names the first bad key and the shapes', () => {
    const other = { ...TINY, dims: [16, 16, 24, 32] };
    expectOneLineError(
      ['predict', '--model', 'convnext_atto', '--model-args', JSON.stringify(other), '--checkpoint', checkpoint, '--input', checkpoint],
      /key 'stem\.0\.weight' has shape \[8,3,2,2\] in checkpoint but \[16,3,2,2\] in model/,
    );
  });

  it('unknown key in a recipe names the key and the file', () => {
    const recipe = join(work, 'bad.yaml');
    writeFileSync(recipe, 'model: {name: convnext_atto}\noptimizer: {lr: 0.001, learningRate: 2}\nschedule: {epochs: 1}\ntrain: {batchSize: 8}\n');
    expectOneLineError(['train', '--recipe', recipe, '--out', join(work, 'run')], /bad\.yaml: unknown key 'optimizer\.learningRate'/);
  });

  it('an explicit --data fashion-mnist without the files fails, even with a recipe that has a fallback', () => {
    const empty = join(work, 'no-fashion-mnist');
    mkdirSync(empty, { recursive: true });
    const r = runCliSync(['train', '--recipe', 'fashion_mnist_quick', '--data', `fashion-mnist:${empty}`, '--out', join(work, 'fm')]);
    expect(r.code).toBe(1);
    // the start banner comes first; the error is the last line, and nothing fell back
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^nextnets: cannot open fashion-mnist: IDX dataset: no train-images-idx3-ubyte\[\.gz\] in .*no-fashion-mnist \(Debian: apt-get install dataset-fashion-mnist\)$/,
    );
    expect(r.stderr).not.toMatch(/synthetic|\n\s+at /);
  });

  it('unknown model name', () => {
    expectOneLineError(['profile', '--model', 'convnext_nonexistent'], /unknown model 'convnext_nonexistent'/);
  });

  it('bad --model-args JSON', () => {
    expectOneLineError(['profile', '--model', 'convnext_atto', '--model-args', '{depths: [1'], /--model-args is not valid JSON/);
  });

  it('a diverging run with loader worker threads reports the error instead of exiting 0', () => {
    const r = runCliSync(['train', '--recipe', 'synthetic_smoke', '--lr', '1e9', '--workers', '1', '--max-steps', '6', '--out', join(work, 'nan')]);
    expect(r.code).toBe(1);
    // progress lines come first; the error is the last line
    // either the loss turns NaN (the update is not applied) or the exploded weights are refused before a checkpoint
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^nextnets: training diverged: (loss is NaN|weight \S+ is \S+) at step \d+(; .+)?$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const last = join(work, 'nan', 'last', 'model.safetensors');
    if (existsSync(last)) {
      for (const [key, t] of readSafetensors(last).tensors) expect(t.data.every((v) => Math.abs(v) <= 1e6), key).toBe(true);
    }
  });
});
