/**
 * Progressive learning you can see: each epoch record in metrics.jsonl and the progress line carry the stage's image
 * size, RandAugment magnitude and dropout (the paper's ramp, applied to the model); `--image-size` is the final train
 * size and the eval size; a schedule that would shrink images is refused with one line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecipe, validateRecipe } from '../src/recipes/load';
import { applyOverrides } from '../src/recipes/overrides';
import { runCliSync } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-progressive-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const recipe = join(work, 'progressive.yaml');
writeFileSync(
  recipe,
  `name: tiny_progressive
model: { name: convnext_atto, args: { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], patchSize: 2, dropRate: 0.1 } }
data: { dataset: synthetic, imageSize: 32, syntheticCount: 80, syntheticClasses: 4, valFraction: 0.2, workers: 0 }
augment: { policy: rrc, scale: [0.6, 1], randAugment: rand-m6-n1 }
optimizer: { name: adamw, lr: 2.0e-3, weightDecay: 0.05 }
schedule: { name: cosine, epochs: 2, warmupEpochs: 0.5 }
progressive: { stages: 2, ibase: 16, minMagnitude: 2, maxMagnitude: 6, dropout: [0.1, 0.3] }
train: { batchSize: 16 }
`,
);

describe('progressive learning', () => {
  it('records and shows each stage: image size, RandAugment magnitude, dropout', () => {
    const out = join(work, 'run');
    const r = runCliSync(['train', '--recipe', recipe, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 1\/2 \(24 px, RandAugment m2, dropout 0\.1\) step 4\/4/);
    expect(r.stderr).toMatch(/epoch 2\/2 \(32 px, RandAugment m6, dropout 0\.3\) step 4\/4/);
    const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((m) => m.type === 'epoch');
    expect(epochs.map((e) => [e.imageSize, e.randAugmentMagnitude, e.dropout])).toEqual([
      [24, 2, 0.1],
      [32, 6, 0.3],
    ]);
  });

  it('--image-size sets the final train size and the eval size; a shrinking schedule is refused with one line', () => {
    const { recipe: base } = loadRecipe('efficientnetv2_s_in1k');
    expect([base.data.imageSize, base.data.evalSize]).toEqual([300, 384]);
    const bigger = applyOverrides(base, { imageSize: 320 });
    expect([bigger.data.imageSize, bigger.data.evalSize]).toEqual([320, 320]);
    expect(() => applyOverrides(base, { imageSize: 96 })).toThrow(
      /^command-line overrides: progressive\.ibase 128 is larger than data\.imageSize 96 \(the final train size\); progressive learning only grows images/,
    );
    expect(() => validateRecipe({ ...base, progressive: { ...base.progressive, ibase: 400 } }, 'r.yaml')).toThrow(/^r\.yaml: progressive\.ibase 400 is larger/);
    const r = runCliSync(['train', '--recipe', 'efficientnetv2_s_in1k', '--data', 'synthetic', '--image-size', '64', '--out', join(work, 'refused')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^nextnets: command-line overrides: progressive\.ibase 128 is larger than data\.imageSize 64/);
  });
});
