import { scaleLr } from '@nextnets/optim';
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

/** Applies overrides and validates the result again (so an override cannot produce an invalid recipe). */
export function applyOverrides(recipe: Recipe, o: RecipeOverrides): Recipe {
  const next = structuredClone(recipe);
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
