/**
 * Where weights live: a checkpoint is a `.safetensors` file (timm keys, PyTorch layouts) or a training checkpoint
 * folder (`<run>/last`, `<run>/best`) holding `model.safetensors`, optionally `ema.safetensors`, beside the run's
 * `config.yaml` one level up.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadStateDict, type ImageClassifier, type RawTensor } from '@nextnets/core-layers';
import { readSafetensors } from '@nextnets/core-layers/node';
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
    files.runConfig = validateRecipe(parseYaml(readFileSync(configPath, 'utf8')), configPath);
    const classesPath = join(dirname(folder), 'classes.json');
    if (existsSync(classesPath)) files.classes = JSON.parse(readFileSync(classesPath, 'utf8')) as string[];
  }
  return files;
}

/** Reads safetensors with one-line errors. */
export function readWeights(path: string): Map<string, RawTensor> {
  try {
    return readSafetensors(path).tensors;
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

/** Number of classes of a timm checkpoint, read from the last 2-D tensor whose name looks like a classifier. */
export function checkpointNumClasses(tensors: Map<string, RawTensor>): number | undefined {
  const heads = [...tensors.entries()].filter(([k, t]) => /(^|\.)(head\.fc|fc|classifier|head|linear)\.weight$/.test(k) && t.shape.length === 2);
  return heads.length > 0 ? heads[heads.length - 1][1].shape[0] : undefined;
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
