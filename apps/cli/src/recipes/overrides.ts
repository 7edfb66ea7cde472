import { getModelEntry } from '@nextnets/core-layers';
import { scaleLr } from '@nextnets/optim';
import '../models.js';
import { validateRecipe } from './load.js';
import type { Recipe } from './schema.js';

/** Command-line overrides of a recipe (`nextnets train --epochs 3 --batch-size 32 …`). */
export interface RecipeOverrides {
  model?: string;
  modelArgs?: Record<string, unknown>;
  data?: string;
  epochs?: number;
  warmupEpochs?: number;
  batchSize?: number;
  /** Absolute lr: replaces the recipe's lr and disables its batch scaling. */
  lr?: number;
  maxSteps?: number;
  checkpointEvery?: number;
  workers?: number;
  seed?: number;
  imageSize?: number;
}

/** Model overrides every family accepts, kept when `--model` switches family. */
const FAMILY_NEUTRAL_ARGS = new Set(['numClasses', 'inChans', 'dropRate', 'dropPathRate']);

const familyOf = (name: string): string | undefined => {
  try {
    return getModelEntry(name).family;
  } catch {
    return undefined; // an unknown name fails later with the registry's one-line error
  }
};

/**
 * Applies overrides and validates the result again (so an override cannot produce an invalid recipe). A `--model`
 * of another family drops the recipe's family-specific `model.args` (ConvNeXt's `dims` mean nothing to RepVGG) and
 * says so through `note`.
 */
export function applyOverrides(recipe: Recipe, o: RecipeOverrides, note: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Recipe {
  const next = structuredClone(recipe);
  if (o.model !== undefined && o.model !== next.model.name) {
    const [from, to] = [familyOf(next.model.name), familyOf(o.model)];
    const dropped = Object.keys(next.model.args ?? {}).filter((k) => !FAMILY_NEUTRAL_ARGS.has(k));
    if (from !== undefined && to !== undefined && from !== to && dropped.length > 0) {
      note(`note: --model ${o.model} (${to}) replaces the recipe's ${next.model.name} (${from}); not applying its model.args ${dropped.join(', ')}`);
      for (const k of dropped) delete next.model.args[k];
    }
  }
  if (o.model !== undefined) next.model.name = o.model;
  if (o.modelArgs !== undefined) next.model.args = { ...next.model.args, ...o.modelArgs };
  if (o.data !== undefined) {
    // a dataset named on the command line is what the user wants: no fallback to the synthetic set
    next.data.dataset = o.data;
    delete next.data.fallback;
  }
  if (o.epochs !== undefined) next.schedule.epochs = o.epochs;
  if (o.warmupEpochs !== undefined) next.schedule.warmupEpochs = o.warmupEpochs;
  if (o.batchSize !== undefined) next.train.batchSize = o.batchSize;
  if (o.lr !== undefined) {
    next.optimizer.lr = o.lr;
    delete next.optimizer.lrBaseBatch;
  }
  if (o.maxSteps !== undefined) next.train.maxSteps = o.maxSteps;
  if (o.checkpointEvery !== undefined) next.train.checkpointEvery = o.checkpointEvery;
  if (o.workers !== undefined) next.data.workers = o.workers;
  if (o.seed !== undefined) next.seed = o.seed;
  if (o.imageSize !== undefined) {
    // the final train size (progressive learning grows towards it) and the eval size together
    next.data.imageSize = o.imageSize;
    next.data.evalSize = o.imageSize;
  }
  return validateRecipe(next, 'command-line overrides');
}

/**
 * The lr actually used: linear scaling `lr · batch / lrBaseBatch` when the recipe gives a base batch
 * (ConvNeXt: 4e-3 at 4096; EfficientNetV2: 0.016 per 256; FCMAE: blr 1.5e-4 per 256), else `lr` as is.
 */
export function effectiveLr(recipe: Recipe): number {
  const { lr, lrBaseBatch } = recipe.optimizer;
  return lrBaseBatch ? scaleLr(lr, recipe.train.batchSize, lrBaseBatch) : lr;
}
