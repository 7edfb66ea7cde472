import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs, parseNumber } from '../cli/parse.js';
import type { CommonOptions } from '../cli/common.js';
import { loadRecipe, validateRecipe } from '../recipes/load.js';
import { applyOverrides, type RecipeOverrides } from '../recipes/overrides.js';
import type { Recipe } from '../recipes/schema.js';
import { applyDataFallback } from '../train/data.js';

export interface TrainLikeOptions extends CommonOptions {
  recipe?: string;
  resume?: string;
  model?: string;
  modelArgs?: string;
  data?: string;
  epochs?: number;
  warmupEpochs?: number;
  batchSize?: number;
  lr?: number;
  maxSteps?: number;
  checkpointEvery?: number;
  workers?: number;
  imageSize?: number;
  replicas?: number;
}

/** Adds the recipe and override flags shared by train, pretrain and finetune. */
export function withRecipeOptions(command: Command, defaultRecipe?: string): Command {
  return command
    .option('--recipe <file|name>', `YAML recipe file or built-in recipe name${defaultRecipe ? ` (default ${defaultRecipe})` : ''}`, defaultRecipe)
    .option('--resume <dir>', 'continue the run in this folder from its last checkpoint (uses its config.yaml)')
    .option('--model <name>', 'override model.name')
    .option('--model-args <json>', 'merge into model.args (JSON object)')
    .option('--data <spec>', 'dataset: ImageFolder path, fashion-mnist, mnist, cifar10:PATH, synthetic')
    .option('--epochs <n>', 'override schedule.epochs', parseInteger('--epochs', 1))
    .option('--warmup-epochs <x>', 'override schedule.warmupEpochs', parseNumber('--warmup-epochs'))
    .option('--batch-size <n>', 'override train.batchSize', parseInteger('--batch-size', 1))
    .option('--lr <x>', 'absolute learning rate (disables the recipe\'s batch scaling)', parseNumber('--lr'))
    .option('--max-steps <n>', 'stop after this many optimizer steps', parseInteger('--max-steps', 1))
    .option('--checkpoint-every <n>', 'also save `last` every N steps', parseInteger('--checkpoint-every'))
    .option('--workers <n>', 'data loader worker threads', parseInteger('--workers'))
    .option('--image-size <n>', 'final train size and eval size (data.imageSize and data.evalSize; progressive stages grow towards it)', parseInteger('--image-size', 8));
}

/**
 * `--replicas N` for train and finetune: data-parallel worker replicas, one single-threaded backend per core. A runtime
 * choice like --workers, not part of the recipe (a run may resume with another count).
 */
export function withReplicasOption(command: Command): Command {
  return command.option('--replicas <n>', 'data-parallel model replicas on worker threads (one per core helps on wasm)', parseInteger('--replicas', 1), 1);
}

function overridesOf(opts: TrainLikeOptions): RecipeOverrides {
  return {
    model: opts.model,
    modelArgs: opts.modelArgs !== undefined ? parseModelArgs(opts.modelArgs) : undefined,
    data: opts.data,
    epochs: opts.epochs,
    warmupEpochs: opts.warmupEpochs,
    batchSize: opts.batchSize,
    lr: opts.lr,
    maxSteps: opts.maxSteps,
    checkpointEvery: opts.checkpointEvery,
    workers: opts.workers,
    seed: opts.seed,
    imageSize: opts.imageSize,
  };
}

export interface ResolvedRun {
  recipe: Recipe;
  outDir: string;
  resume: boolean;
  source: string;
}

/**
 * The recipe and output folder of a run. `--resume DIR` reads DIR/config.yaml (only --workers and --backend may
 * change on resume, so the continued run is the same run); otherwise recipe + overrides with `data.fallback` applied
 * (its notice goes to `note`, stderr by default), output `--out` or `runs/<name>`.
 */
export function resolveRun(opts: TrainLikeOptions, expectedKind: Recipe['kind'], note: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): ResolvedRun {
  if (opts.resume) {
    const configPath = join(opts.resume, 'config.yaml');
    if (!existsSync(configPath)) throw new CliError(`cannot resume: ${configPath} not found`);
    const changed = (['model', 'modelArgs', 'data', 'epochs', 'warmupEpochs', 'batchSize', 'lr', 'maxSteps', 'checkpointEvery', 'seed', 'imageSize'] as const).filter(
      (k) => opts[k] !== undefined,
    );
    if (changed.length > 0) throw new CliError(`--resume continues the saved run as configured; drop --${changed[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    const saved = validateRecipe(parseYaml(readFileSync(configPath, 'utf8')), configPath);
    const recipe = opts.workers !== undefined ? applyOverrides(saved, { workers: opts.workers }) : saved;
    return { recipe, outDir: opts.resume, resume: true, source: configPath };
  }
  if (!opts.recipe) throw new CliError('give --recipe FILE|NAME (see apps/cli/recipes) or --resume DIR');
  const { recipe: base, path } = loadRecipe(opts.recipe);
  const recipe = applyOverrides(base, overridesOf(opts));
  if (recipe.kind !== expectedKind) {
    throw new CliError(`recipe ${path} is a '${recipe.kind}' recipe; use \`nextnets ${recipe.kind}\``);
  }
  const { recipe: used, notice } = applyDataFallback(recipe);
  if (notice) note(notice);
  const name = used.name ?? opts.recipe.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  return { recipe: used, outDir: opts.out ?? join('runs', name), resume: false, source: path };
}
