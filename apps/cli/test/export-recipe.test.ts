/**
 * `nextnets export-recipe --format timm`: the YAML parses, every key is one of timm train.py's argument names (the
 * list kept in src/recipes/timm-train-args.ts with its timm version), the numbers carry over, and what timm has no
 * flag for becomes a one-line note.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { listBuiltinRecipes, loadRecipe } from '../src/recipes/load';
import { timmYaml } from '../src/recipes/timm-export';
import { TIMM_TRAIN_ARGS } from '../src/recipes/timm-train-args';
import { runCliSync } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-export-recipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('export-recipe --format timm', () => {
  it('every built-in train/finetune recipe becomes YAML whose keys are all timm train.py arguments', () => {
    const names = listBuiltinRecipes();
    let exported = 0;
    for (const name of names) {
      const { recipe, path } = loadRecipe(name);
      if (recipe.kind === 'pretrain') {
        expect(() => timmYaml(recipe, path)).toThrow(/has no timm train\.py equivalent/);
        continue;
      }
      const text = timmYaml(recipe, path);
      const args = parseYaml(text) as Record<string, unknown>;
      for (const key of Object.keys(args)) expect(TIMM_TRAIN_ARGS.has(key), `${name}: ${key}`).toBe(true);
      for (const line of text.split('\n').filter((l) => l.startsWith('#'))) expect(line).not.toMatch(/\n/);
      exported++;
    }
    expect(exported).toBeGreaterThanOrEqual(5);
    expect(TIMM_TRAIN_ARGS.has('not_a_timm_flag')).toBe(false);
  });

  it('carries the ConvNeXt and EfficientNetV2 recipes over and notes what timm lacks', () => {
    const convnext = parseYaml(timmYaml(loadRecipe('convnext_tiny_in1k').recipe, 'convnext_tiny_in1k')) as Record<string, unknown>;
    expect(convnext).toMatchObject({ model: 'convnext_tiny', opt: 'adamw', lr_base: 4e-3, lr_base_size: 4096, lr_base_scale: 'linear', sched: 'cosine', epochs: 300, warmup_epochs: 20, smoothing: 0.1, model_ema: true });
    const ev2Text = timmYaml(loadRecipe('efficientnetv2_s_in1k').recipe, 'efficientnetv2_s_in1k');
    const ev2 = parseYaml(ev2Text) as Record<string, unknown>;
    expect(ev2).toMatchObject({ model: 'tf_efficientnetv2_s', opt: 'rmsproptf', sched: 'step', decay_epochs: 2.4, decay_rate: 0.97, img_size: 300, drop: 0.2, drop_path: 0.2, aa: 'rand-m10-n2', model_ema_warmup: true });
    expect(ev2Text).toMatch(/^# note: progressive learning \(4 stages from 128 px, RandAugment m5→10.*\) has no train\.py equivalent/m);
    expect(ev2Text).toMatch(/^# note: data\.evalSize 384: train\.py validates at img_size; evaluate at 384 with validate\.py --img-size 384$/m);
  });

  it('writes the file from the command line; a pretrain recipe is refused with one line', () => {
    const out = join(work, 'args.yaml');
    const r = runCliSync(['export-recipe', '--recipe', 'convnext_tiny_in1k', '--data', '/data/imagenet', '--batch-size', '128', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const args = parseYaml(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(args).toMatchObject({ data_dir: '/data/imagenet', batch_size: 128 });
    const refused = runCliSync(['export-recipe', '--recipe', 'convnextv2_atto_fcmae']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/pretrain \(FCMAE\) recipe has no timm train\.py equivalent/);
  });
});
