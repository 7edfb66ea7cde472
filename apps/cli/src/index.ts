/** Programmatic API of the `nextnets` command (the binary is `dist/bin.js`). */
export { runCli } from './cli/run.js';
export { buildProgram } from './cli/program.js';
export { CliError } from './cli/errors.js';
export { recipeSchema, type Recipe, type RecipeInput } from './recipes/schema.js';
export { loadRecipe, validateRecipe, listBuiltinRecipes, builtinRecipesDir, formatRecipeError } from './recipes/load.js';
export { applyOverrides, effectiveLr, type RecipeOverrides } from './recipes/overrides.js';
export { createTrainingSetup, type TrainingSetup } from './train/setup.js';
export { applyDataFallback } from './train/data.js';
export { runTraining, type RunOptions, type TrainResult } from './train/engine.js';
export { trainStep, type LossConfig, type StepBatch } from './train/step.js';
export { classificationLoss } from '@nextnets/optim';
export { evaluate, type EvalResult } from './train/evaluate.js';
// the engine itself: @nextnets/train (Trainer, tasks, storage, curves)
