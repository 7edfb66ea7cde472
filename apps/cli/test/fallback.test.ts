/**
 * `data.fallback: synthetic` (the quick-start recipe): Fashion-MNIST when its files are there, else the synthetic set
 * with a one-line notice; an explicit --data never falls back.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinRecipesDir, loadRecipe } from '../src/recipes/load';
import { applyOverrides } from '../src/recipes/overrides';
import { applyDataFallback } from '../src/train/data';
import { runCliSync } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-fallback-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const empty = join(work, 'empty');
mkdirSync(empty);
/** A folder with the four IDX file names (presence is all the fallback checks). */
const present = join(work, 'present');
mkdirSync(present);
for (const name of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
  writeFileSync(join(present, name), '');
}

const quick = () => loadRecipe('fashion_mnist_quick').recipe;
const withDataset = (dataset: string) => ({ ...quick(), data: { ...quick().data, dataset } });

describe('data.fallback', () => {
  it('the quick-start recipe falls back to a 6-class grayscale-ready synthetic set', () => {
    const recipe = quick();
    expect(recipe.data.dataset).toBe('fashion-mnist');
    expect(recipe.data.fallback).toBe('synthetic');
    expect(recipe.model.args.inChans).toBe(1);
  });

  it('switches to synthetic only when the IDX files are absent, and never leaves a fallback in the resolved recipe', () => {
    const missing = applyDataFallback(withDataset(`fashion-mnist:${empty}`));
    expect(missing.recipe.data.dataset).toBe('synthetic');
    expect(missing.recipe.data.fallback).toBeUndefined();
    expect(missing.notice).toBe(
      `note: fashion-mnist not found in ${empty} (Debian: apt-get install dataset-fashion-mnist); ` +
        'using the synthetic shapes set instead (20000 images, 6 classes; recipe data.fallback)',
    );
    const found = applyDataFallback(withDataset(`fashion-mnist:${present}`));
    expect(found.recipe.data.dataset).toBe(`fashion-mnist:${present}`);
    expect(found.recipe.data.fallback).toBeUndefined();
    expect(found.notice).toBeUndefined();
    // other datasets are left alone
    expect(applyDataFallback(withDataset(join(work, 'no-such-folder'))).recipe.data.dataset).toBe(join(work, 'no-such-folder'));
  });

  it('an explicit --data drops the fallback', () => {
    const overridden = applyOverrides(quick(), { data: `fashion-mnist:${empty}` });
    expect(overridden.data.fallback).toBeUndefined();
    expect(applyDataFallback(overridden).recipe.data.dataset).toBe(`fashion-mnist:${empty}`);
  });

  it('the quick-start without Fashion-MNIST trains on the synthetic set, says so in one line and records it', () => {
    // the built-in recipe, with only the Fashion-MNIST folder pointed at an empty one
    const text = readFileSync(join(builtinRecipesDir(), 'fashion_mnist_quick.yaml'), 'utf8');
    expect(text).toMatch(/^ {2}dataset: fashion-mnist$/m);
    const recipePath = join(work, 'quick.yaml');
    writeFileSync(recipePath, text.replace(/^ {2}dataset: fashion-mnist$/m, `  dataset: fashion-mnist:${empty}`));
    const out = join(work, 'run');
    const r = runCliSync(['train', '--recipe', recipePath, '--max-steps', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const notices = r.stderr.split('\n').filter((line) => line.includes('not found'));
    expect(notices).toEqual([expect.stringMatching(/^note: fashion-mnist not found in .*empty .*; using the synthetic shapes set instead/)]);
    expect(r.stdout).toMatch(/^trained 2 steps/);
    expect(r.stdout).toMatch(/val accuracy: top-1 \d+\.\d+%.*\(2000 images\)/);
    const config = parseYaml(readFileSync(join(out, 'config.yaml'), 'utf8')) as { data: Record<string, unknown> };
    expect(config.data.dataset).toBe('synthetic');
    expect(config.data).not.toHaveProperty('fallback');
    expect(JSON.parse(readFileSync(join(out, 'classes.json'), 'utf8'))).toEqual(['circle', 'square', 'triangle', 'cross', 'ring', 'stripes']);
  });
});
