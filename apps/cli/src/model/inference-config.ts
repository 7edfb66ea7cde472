/** How inputs are prepared for a model outside training: the run's recipe when known, else the model's pretrained cfg. */
import { getModelEntry, type PretrainedCfg } from '@nextnets/core-layers';
import { CliError } from '../cli/errors.js';
import { validateRecipe } from '../recipes/load.js';
import type { Recipe } from '../recipes/schema.js';
import type { CheckpointFiles } from './checkpoint-files.js';

export interface InferenceSettings {
  modelName: string;
  modelArgs: Record<string, unknown>;
  /** A recipe whose data section describes image size, crop and normalisation. */
  recipe: Recipe;
}

/**
 * Combines `--model`/`--model-args` with what a training run recorded, or else with the `model` / `model_args`
 * metadata that `nextnets export` writes into a safetensors file. Without a run config the data settings come from
 * the pretrained cfg of the weights' timm tag when known (`pretrainedCfg`), else the model's registered one (input
 * size, mean/std, crop_pct, interpolation), overridable by `inputSize`.
 */
export function inferenceSettings(
  files: CheckpointFiles,
  model: string | undefined,
  modelArgs: Record<string, unknown>,
  inputSize?: number,
  extra: { metadata?: Record<string, string>; pretrainedCfg?: PretrainedCfg } = {},
): InferenceSettings {
  const run = files.runConfig;
  const exported = run ? undefined : exportedModel(extra.metadata ?? {}, files.weights);
  const modelName = model ?? run?.model.name ?? exported?.name;
  if (!modelName) throw new CliError('give --model NAME (the checkpoint is not from a nextnets training run and names no model)');
  if (run && model && model !== run.model.name) {
    throw new CliError(`--model ${model} differs from the run's model ${run.model.name} (see its config.yaml)`);
  }
  let recipe: Recipe;
  if (run) {
    recipe = structuredClone(run);
  } else {
    let cfg;
    try {
      cfg = getModelEntry(modelName).pretrainedCfg;
      if (extra.pretrainedCfg) cfg = extra.pretrainedCfg;
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    recipe = validateRecipe(
      {
        model: { name: modelName },
        data: { imageSize: cfg.inputSize[1], cropPct: cfg.cropPct, interpolation: cfg.interpolation, mean: cfg.mean, std: cfg.std },
        optimizer: { lr: 1 },
        schedule: { epochs: 1 },
        train: { batchSize: 32 },
      },
      `${modelName} pretrained cfg`,
    );
  }
  if (inputSize !== undefined) {
    recipe.data.imageSize = inputSize;
    recipe.data.evalSize = inputSize;
  }
  const recordedArgs = run ? run.model.args : exported?.name === modelName ? exported.args : {};
  return { modelName, modelArgs: { ...recordedArgs, ...modelArgs }, recipe };
}

/** The model a safetensors file names in its metadata (`nextnets export` writes `model` and `model_args`). */
function exportedModel(metadata: Record<string, string>, path: string): { name: string; args: Record<string, unknown> } | undefined {
  if (!metadata.model) return undefined;
  let args: unknown = {};
  try {
    args = metadata.model_args ? JSON.parse(metadata.model_args) : {};
  } catch {
    throw new CliError(`${path}: metadata 'model_args' is not valid JSON: ${metadata.model_args}`);
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new CliError(`${path}: metadata 'model_args' must be a JSON object, got ${metadata.model_args}`);
  }
  return { name: metadata.model, args: args as Record<string, unknown> };
}
