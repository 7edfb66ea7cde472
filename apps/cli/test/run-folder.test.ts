/**
 * Run folders of train/finetune/pretrain: a new run refuses a folder holding another run unless --force moves it
 * aside; a folder in use by a live process is refused; --resume refuses --recipe/--out and a run of another kind; a
 * run that fails before its first step leaves no folder behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { resolveRun as resolveWith, type TrainLikeOptions } from '../src/commands/train-options';
import { loadRecipe } from '../src/recipes/load';
import { checkRunFolder, inRunFolder, openRunFolder } from '../src/train/run-folder';

/** resolveRun with the default backend (the CLI's commander fills it in). */
function resolveRun(opts: Partial<TrainLikeOptions>, ...rest: Parameters<typeof resolveWith> extends [unknown, ...infer R] ? R : never) {
  return resolveWith({ backend: 'wasm', ...opts } as TrainLikeOptions, ...rest);
}

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nextnets-runs-'));
  roots.push(dir);
  return dir;
}

/** A run folder as a run of `recipe` leaves it (config.yaml and a last/ checkpoint). */
function oldRun(dir: string, recipe = 'synthetic_smoke'): string {
  mkdirSync(join(dir, 'last'), { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), toYaml(loadRecipe(recipe).recipe));
  writeFileSync(join(dir, 'last', 'model.safetensors'), 'x');
  writeFileSync(join(dir, 'summary.json'), '{}');
  return dir;
}

describe('run folders', () => {
  it('a new run refuses a folder holding another run; --force moves it aside, said in one line', () => {
    const root = tempRoot();
    const out = oldRun(join(root, 'x'));
    expect(() => checkRunFolder(out, {})).toThrow(`${out} already holds files (another run?): continue it with --resume ${out}, or give --force to move them aside`);
    expect(() => resolveRun({ recipe: 'synthetic_smoke', out }, 'train')).toThrow(/already holds files/);
    const lines: string[] = [];
    const folder = openRunFolder(out, { force: true, log: (line) => lines.push(line), now: new Date('2026-01-02T03:04:05.678Z') });
    const aside = `${out}.old-2026-01-02T03-04-05-678Z`;
    expect(lines).toEqual([`--force: moved the old run in ${out} aside to ${aside}`]);
    expect(readdirSync(aside).sort()).toEqual(['config.yaml', 'last', 'summary.json']);
    expect(readdirSync(out)).toEqual(['.lock']);
    folder.release();
    expect(readdirSync(out)).toEqual([]);
    // an empty folder (or none) is free
    checkRunFolder(out, {});
    checkRunFolder(join(root, 'new'), {});
  });

  it('a folder a live process trains in is refused: "X is in use by pid N"', () => {
    const out = oldRun(join(tempRoot(), 'x'));
    const folder = openRunFolder(out, { resume: true, log: () => {} });
    expect(() => openRunFolder(out, { resume: true, log: () => {} })).toThrow(`${out} is in use by pid ${process.pid}`);
    expect(() => resolveRun({ resume: out }, 'train')).toThrow(`${out} is in use by pid ${process.pid}`);
    folder.release();
    expect(resolveRun({ resume: out }, 'train').resume).toBe(true);
  });

  it('--resume refuses --recipe, --out and a run of another kind, naming the kind', () => {
    const root = tempRoot();
    const train = oldRun(join(root, 'train-run'));
    const pretrain = oldRun(join(root, 'pretrain-run'), 'convnextv2_atto_fcmae');
    expect(() => resolveRun({ resume: train, recipe: 'synthetic_smoke' }, 'train')).toThrow(`--resume continues the run in ${train} with its own config.yaml; drop --recipe`);
    expect(() => resolveRun({ resume: train, out: join(root, 'y') }, 'train')).toThrow(`--resume continues the run in its own folder ${train}; drop --out`);
    expect(() => resolveRun({ resume: pretrain }, 'train')).toThrow(new RegExp(`^${pretrain} is a pretrain run .*nextnets pretrain --resume`));
    expect(() => resolveRun({ resume: train }, 'finetune')).toThrow(new RegExp(`^${train} is a train run .*nextnets train --resume`));
    expect(resolveRun({ resume: pretrain }, 'pretrain', undefined, 'convnextv2_atto_fcmae').recipe.kind).toBe('pretrain');
  });

  it('a run that fails before its first step leaves no folder; one that fails later keeps its files', async () => {
    const root = tempRoot();
    const out = join(root, 'fresh');
    const failing = openRunFolder(out, { log: () => {} });
    await expect(inRunFolder(failing, () => false, async () => {
      writeFileSync(join(out, 'config.yaml'), 'x');
      throw new Error('bad batch');
    })).rejects.toThrow('bad batch');
    expect(existsSync(out)).toBe(false);
    const later = openRunFolder(out, { log: () => {} });
    await expect(inRunFolder(later, () => true, async () => {
      writeFileSync(join(out, 'config.yaml'), 'x');
      throw new Error('diverged');
    })).rejects.toThrow('diverged');
    expect(readdirSync(out)).toEqual(['config.yaml']);
  });
});
