import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getModelEntry, listModels, profile, withShapeOnlyInit } from '@nextnets/core-layers';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { findDefaultTag } from '@nextnets/hub/node';
import { Command } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { parseInteger } from '../cli/parse.js';
import { buildModel } from '../model/build.js';

interface ModelsOptions extends CommonOptions {
  filter?: string;
  gmacsMaxParams: number;
  pretrained?: boolean;
}

/** `nextnets models --pretrained`: each model's default timm tag (what `--pretrained` without a reference loads). */
function printPretrainedTags(filter: string | undefined): void {
  const names = listModels(filter);
  const width = Math.max(10, ...names.map((n) => n.length));
  process.stdout.write(`${'model'.padEnd(width)}  default pretrained weights (Hugging Face hub)\n`);
  for (const name of names) {
    const tag = findDefaultTag(name);
    const text = tag ? `${tag.hubId}  (${tag.labels}, ${tag.pretrainedCfg.inputSize[1]}px, crop ${tag.pretrainedCfg.cropPct})` : 'no pretrained weights published';
    process.stdout.write(`${name.padEnd(width)}  ${text}\n`);
  }
  if (names.length === 0) process.stdout.write(`no registered model matches '${filter ?? ''}'\n`);
}

export interface ModelRow {
  name: string;
  family: string;
  params: number;
  gmacs: number | null;
}

/** Parameter count without allocating weights; GMACs@224 by a real forward pass for models up to `gmacsMaxParams`. */
export function describeModels(filter: string | undefined, gmacsMaxParams: number): ModelRow[] {
  return listModels(filter).map((name) => {
    const entry = getModelEntry(name);
    const params = withShapeOnlyInit(() => entry.create()).numParams();
    let gmacs: number | null = null;
    if (params <= gmacsMaxParams) {
      const model = buildModel(name);
      try {
        gmacs = profile(model, 224).gmacs;
      } finally {
        model.dispose();
      }
    }
    return { name, family: entry.family, params, gmacs };
  });
}

export function modelsCommand(): Command {
  return withCommonOptions(new Command('models').description('list registered models with parameter counts and GMACs at 224²'), 'also write models.json here')
    .option('--filter <text>', 'only names containing this text')
    .option('--gmacs-max-params <n>', 'measure GMACs (a forward pass at 224²) only for models up to this many parameters', parseInteger('--gmacs-max-params'), 40_000_000)
    .option('--pretrained', 'list the default pretrained timm tag of each model instead (what --pretrained loads)')
    .addHelpText('after', '\nExamples:\n  nextnets models --filter convnextv2\n  nextnets models --pretrained')
    .action(async (opts: ModelsOptions) => {
      if (opts.pretrained) return printPretrainedTags(opts.filter);
      await activateBackend(opts.backend);
      const rows = describeModels(opts.filter, opts.gmacsMaxParams);
      const width = Math.max(10, ...rows.map((r) => r.name.length));
      process.stdout.write(`${'model'.padEnd(width)}  ${'family'.padEnd(15)}  ${'params (M)'.padStart(10)}  ${'GMACs@224'.padStart(9)}\n`);
      for (const r of rows) {
        const gmacs = r.gmacs === null ? '-' : r.gmacs.toFixed(3);
        process.stdout.write(`${r.name.padEnd(width)}  ${r.family.padEnd(15)}  ${(r.params / 1e6).toFixed(2).padStart(10)}  ${gmacs.padStart(9)}\n`);
      }
      if (opts.out) {
        mkdirSync(opts.out, { recursive: true });
        writeFileAtomic(join(opts.out, 'models.json'), `${JSON.stringify(rows, null, 1)}\n`);
      }
      if (rows.length === 0) process.stdout.write(`no registered model matches '${opts.filter ?? ''}'\n`);
    });
}
