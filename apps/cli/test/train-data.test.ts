/**
 * The training data set-up: val/ is labelled by class name against train/'s classes, skipped files are reported,
 * and inputs below the network's stride or batches whose activations cannot fit are refused before the first step.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@nextnets/backend';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../src/recipes/load';
import { applyOverrides } from '../src/recipes/overrides';
import { openData } from '../src/train/data';
import { createTrainingSetup } from '../src/train/setup';

let root: string;

async function image(path: string, value: number): Promise<void> {
  await sharp(Buffer.alloc(16 * 16 * 3, value), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path);
}

/** `<root>/<name>/{train,val}/<class>/*.png`, 2 images per class. */
async function folder(name: string, trainClasses: string[], valClasses: string[]): Promise<string> {
  const dir = join(root, name);
  for (const [split, classes] of [['train', trainClasses], ['val', valClasses]] as const) {
    for (const [i, cls] of classes.entries()) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      for (let k = 0; k < 2; k++) await image(join(dir, split, cls, `${k}.png`), 40 * i + k);
    }
  }
  return dir;
}

const smoke = (overrides: Parameters<typeof applyOverrides>[1]) => applyOverrides(loadRecipe('synthetic_smoke').recipe, overrides);

beforeAll(async () => {
  await setupBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'nextnets-data-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training data set-up', () => {
  it('labels val/ by class name, not position; a val class that train lacks is an error naming it', async () => {
    const dir = await folder('by-name', ['c0', 'c1', 'c2'], ['c0', 'c2']);
    const data = openData(smoke({ data: dir }), 3);
    expect(data.classes).toEqual(['c0', 'c1', 'c2']);
    const labels = await Promise.all(Array.from({ length: data.eval.length }, async (_, i) => (await data.eval.get(i)).label));
    expect(labels.sort()).toEqual([0, 0, 2, 2]); // by position, c2 would have been label 1
    const bad = await folder('unknown-class', ['c0', 'c1', 'c2'], ['c0', 'c1', 'c3']);
    expect(() => openData(smoke({ data: bad }), 3)).toThrow(/class 'c3' in .*val is not one of the 3 known classes/);
  });

  it('reports files skipped in train/ and val/ (count and first names)', async () => {
    const dir = await folder('skipped', ['a', 'b'], ['a', 'b']);
    writeFileSync(join(dir, 'train', 'a', 'notes.txt'), 'not an image');
    writeFileSync(join(dir, 'val', 'b', 'broken.png'), 'not a png');
    const lines: string[] = [];
    const setup = createTrainingSetup(smoke({ data: dir, imageSize: 32, batchSize: 2 }), undefined, (line) => lines.push(line));
    setup.model.dispose();
    setup.optimizer.dispose();
    expect(lines).toEqual([
      expect.stringMatching(/^skipped 1 file in .*train: .*notes\.txt \(unsupported extension/),
      expect.stringMatching(/^skipped 1 file in .*val: .*broken\.png/),
    ]);
  });

  it('refuses an input smaller than the total stride and activations beyond memory before any step', () => {
    expect(() => createTrainingSetup(smoke({ imageSize: 8 }), undefined, () => {})).toThrow(/^training size 8 .*needs at least 32x32/);
    expect(() => createTrainingSetup(smoke({ imageSize: 1024, batchSize: 1_000_000 }), undefined, () => {})).toThrow(/batch 1000000 needs about .* of activations, more than this machine's/);
  });
});
