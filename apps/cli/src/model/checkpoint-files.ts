/**
 * Where weights live: a checkpoint is a `.safetensors` file (timm keys, PyTorch layouts) or a training checkpoint
 * folder (`<run>/last`, `<run>/best`) holding `model.safetensors`, optionally `ema.safetensors`, beside the run's
 * `config.yaml` one level up.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadStateDict, type ImageClassifier, type RawTensor } from '@nextnets/core-layers';
import { readRegularFile, readSafetensors } from '@nextnets/core-layers/node';
import { classifierWeightName } from './build.js';
import { reparameterize } from '@nextnets/models-rep';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../cli/errors.js';
import { validateRecipe } from '../recipes/load.js';
import type { Recipe } from '../recipes/schema.js';

export interface CheckpointFiles {
  weights: string;
  ema?: string;
  /** The training run's resolved recipe, when the checkpoint came from `nextnets train`. */
  runConfig?: Recipe;
  /** Class names recorded by the training run. */
  classes?: string[];
}

export function locateCheckpoint(path: string): CheckpointFiles {
  if (!existsSync(path)) throw new CliError(`checkpoint not found: ${path}`);
  const isDir = statSync(path).isDirectory();
  const folder = isDir ? path : dirname(path);
  const weights = isDir ? join(path, 'model.safetensors') : path;
  if (!existsSync(weights)) throw new CliError(`checkpoint folder ${path} has no model.safetensors`);
  const emaPath = join(folder, 'ema.safetensors');
  const ownsFolder = isDir || basename(path) === 'model.safetensors';
  // EMA weights are picked up only when a checkpoint folder is given (an explicit file is used as is)
  const files: CheckpointFiles = { weights, ema: isDir && existsSync(emaPath) ? emaPath : undefined };
  const configPath = join(dirname(folder), 'config.yaml');
  if (ownsFolder && existsSync(configPath)) {
    files.runConfig = validateRecipe(readRunFile(configPath, (text) => parseYaml(text) as unknown), configPath);
    const classesPath = join(dirname(folder), 'classes.json');
    if (existsSync(classesPath)) {
      const classes = readRunFile(classesPath, (text) => JSON.parse(text) as unknown);
      if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string')) {
        throw new CliError(`${classesPath}: expected a JSON array of class names`);
      }
      files.classes = classes as string[];
    }
  }
  return files;
}

/**
 * Reads and parses a small file of a run folder (config.yaml, classes.json, state.json); any failure (not a regular
 * file, unreadable, malformed) is one line naming the file.
 */
export function readRunFile<T>(path: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readRegularFile(path, 64 * 1024 ** 2));
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new CliError(`${path}: cannot parse (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Reads safetensors (tensors and `__metadata__`) with one-line errors. */
export function readCheckpoint(path: string): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  try {
    return readSafetensors(path);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

export function readWeights(path: string): Map<string, RawTensor> {
  return readCheckpoint(path).tensors;
}

/**
 * The overrides that rebuild a checkpoint's model: `numClasses` unless given is read from the checkpoint's tensor
 * under the model's own classifier weight name (`head.fc.weight`, `head.fc2.weight`, `classifier.1.weight`, …).
 */
export function argsForCheckpoint(modelName: string, modelArgs: Record<string, unknown>, tensors: Map<string, RawTensor>): Record<string, unknown> {
  if (modelArgs.numClasses !== undefined) return modelArgs;
  const weightName = classifierWeightName(modelName, modelArgs);
  const weight = weightName === undefined ? undefined : tensors.get(weightName);
  return weight ? { ...modelArgs, numClasses: weight.shape[0] } : modelArgs;
}

/**
 * Loads a checkpoint strictly into `model`; a deploy-form checkpoint (timm `reparam_conv` / RepLKNet `lkb_reparam`
 * keys, as written by `nextnets export --reparameterize`) first turns the model into its reparameterized form.
 */
export function loadCheckpointInto(model: ImageClassifier, tensors: Map<string, RawTensor>, source: string): void {
  const own = new Set([...model.namedParameters(), ...model.namedBuffers()].map(([name]) => name));
  if ([...tensors.keys()].some((k) => !own.has(k) && /reparam/.test(k))) reparameterize(model.eval());
  try {
    loadStateDict(model, tensors, { strict: true, source });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}
