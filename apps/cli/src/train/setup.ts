/** Builds everything a training run needs from a resolved recipe: model, data, loaders, optimizer, schedule, EMA. */
import { manualSeed, type ImageClassifier } from '@nextnets/core-layers';
import type { DataLoader } from '@nextnets/data-augment/node';
import { LrScheduler, ModelEma, type NamedParam, type Optimizer } from '@nextnets/optim';
import { classificationTask, type ClassificationBatch, type ClassificationEvaluation, type Task } from '@nextnets/train';
import { CliError } from '../cli/errors.js';
import { buildModel, checkActivationsFit, checkInputSize, checkModelFits, modelChannels, TRAIN_BYTES_PER_PARAM } from '../model/build.js';
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

/**
 * Refuses, before the first step, a training or evaluation size smaller than the network's total stride and a batch
 * whose activations would not fit in memory. (Early progressive stages are smaller on purpose and not checked.)
 */
function checkTrainingShapes(recipe: Recipe, model: ImageClassifier, channels: number): void {
  const { name } = recipe.model;
  const { imageSize, evalSize } = recipe.data;
  checkInputSize(model, name, channels, imageSize, imageSize, `training size ${imageSize} (data.imageSize / --image-size)`);
  if (evalSize !== undefined) checkInputSize(model, name, channels, evalSize, evalSize, `evaluation size ${evalSize} (data.evalSize)`);
  checkActivationsFit(model, name, channels, imageSize, recipe.train.batchSize);
}

/**
 * `prepare` may replace the model's weights (fine-tuning) before the optimizer and EMA capture them. Lines about
 * skipped dataset files go to `log` (stderr by default).
 */
export function createTrainingSetup(
  recipe: Recipe,
  prepare?: (model: ImageClassifier) => void,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): TrainingSetup {
  const data = openData(recipe, modelChannels(recipe.model.args));
  for (const note of data.notes ?? []) log(note);
  if (data.train.length === 0) throw new CliError(`dataset '${recipe.data.dataset}' has no training samples`);
  const args = modelArgsFor(recipe, data.classes.length);
  // parameters, gradients and AdamW moments must fit before a weight is allocated
  checkModelFits(recipe.model.name, args, TRAIN_BYTES_PER_PARAM);
  manualSeed(recipe.seed);
  const model = buildModel(recipe.model.name, args);
  checkTrainingShapes(recipe, model, data.channels);
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
