/** Builds everything a training run needs from a resolved recipe: model, data, loaders, optimizer, schedule, EMA. */
import { manualSeed, type ImageClassifier } from '@nextnets/core-layers';
import type { DataLoader } from '@nextnets/data-augment/node';
import { LrScheduler, ModelEma, type NamedParam, type Optimizer } from '@nextnets/optim';
import { classificationTask, type ClassificationBatch, type ClassificationEvaluation, type Task } from '@nextnets/train';
import { CliError } from '../cli/errors.js';
import { buildModel, modelChannels } from '../model/build.js';
import { effectiveLr } from '../recipes/overrides.js';
import type { Recipe } from '../recipes/schema.js';
import { evalLoader, openData, trainLoader, type DataSplits } from './data.js';
import { buildOptimizer, buildSchedule, namedParams } from './optimizer.js';

export interface TrainingSetup {
  recipe: Recipe;
  model: ImageClassifier;
  params: NamedParam[];
  data: DataSplits;
  train: DataLoader;
  eval: DataLoader;
  stepsPerEpoch: number;
  totalSteps: number;
  lr: number;
  optimizer: Optimizer;
  scheduler: LrScheduler;
  ema?: ModelEma;
  /** The classification task: label smoothing, soft targets, top-1/top-5. */
  task: Task<ClassificationBatch, ClassificationEvaluation>;
}

/** Model args with numClasses from the dataset (an explicit, different numClasses is an error). */
export function modelArgsFor(recipe: Recipe, numClasses: number): Record<string, unknown> {
  const args = { ...recipe.model.args };
  if (args.numClasses !== undefined && args.numClasses !== numClasses) {
    throw new CliError(`model.args.numClasses is ${JSON.stringify(args.numClasses)} but the dataset has ${numClasses} classes`);
  }
  args.numClasses = numClasses;
  return args;
}

/** `prepare` may replace the model's weights (fine-tuning) before the optimizer and EMA capture them. */
export function createTrainingSetup(recipe: Recipe, prepare?: (model: ImageClassifier) => void): TrainingSetup {
  const data = openData(recipe, modelChannels(recipe.model.args));
  if (data.train.length === 0) throw new CliError(`dataset '${recipe.data.dataset}' has no training samples`);
  manualSeed(recipe.seed);
  const model = buildModel(recipe.model.name, modelArgsFor(recipe, data.classes.length));
  prepare?.(model);
  const train = trainLoader(recipe, data);
  const stepsPerEpoch = train.length;
  const epochSteps = recipe.schedule.epochs * stepsPerEpoch;
  const totalSteps = Math.min(epochSteps, recipe.train.maxSteps ?? epochSteps);
  const lr = effectiveLr(recipe);
  const optimizer = buildOptimizer(recipe, model, lr);
  const scheduler = new LrScheduler(buildSchedule(recipe, lr, stepsPerEpoch));
  const ema = recipe.ema
    ? new ModelEma(
        [...model.namedParameters(), ...model.namedBuffers()].map(([name, p]) => [name, p.variable]),
        { decay: recipe.ema.decay, warmup: recipe.ema.warmup },
      )
    : undefined;
  return {
    recipe,
    model,
    params: namedParams(model),
    data,
    train,
    eval: evalLoader(recipe, data),
    stepsPerEpoch,
    totalSteps,
    lr,
    optimizer,
    scheduler,
    ema,
    task: classificationTask(model, { numClasses: data.classes.length, smoothing: recipe.augment.smoothing }),
  };
}
