/** Programmatic API of the `nextnets` command (the binary is `dist/bin.js`). */
export { runCli } from './cli/run.js';
export { buildProgram } from './cli/program.js';
export { CliError } from './cli/errors.js';
export { recipeSchema, type Recipe, type RecipeInput } from './recipes/schema.js';
export { loadRecipe, validateRecipe, listBuiltinRecipes, builtinRecipesDir, formatRecipeError } from './recipes/load.js';
export { applyOverrides, effectiveLr, type RecipeOverrides } from './recipes/overrides.js';
export { createTrainingSetup, type TrainingSetup } from './train/setup.js';
export { applyDataFallback } from './train/data.js';
export { Trainer, type TrainerOptions, type TrainResult } from './train/trainer.js';
export { trainStep, type LossConfig, type StepBatch } from './train/step.js';
export { classificationLoss } from '@nextnets/optim';
export { evaluate, type EvalResult } from './train/evaluate.js';
export { renderCurves } from './train/curves.js';
export { svgToPng, writeCurves } from './train/curves-files.js';
