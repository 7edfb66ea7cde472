/** Builds a registered model from a timm `.safetensors` file or from a `nextnets export --format tfjs` folder. */
import * as tf from '@tensorflow/tfjs-core';
import {
  createModel,
  getModelEntry,
  loadStateDict,
  parseSafetensors,
  type ImageClassifier,
  type ModelOverrides,
  type PretrainedCfg,
  type TensorData,
} from '@nextnets/core-layers';
import '@nextnets/models-convnext';
import '@nextnets/models-efficient';
import { reparameterize } from '@nextnets/models-rep';

export interface LoadedModel {
  model: ImageClassifier;
  name: string;
  overrides: ModelOverrides;
  cfg: PretrainedCfg;
  /** Class names (from a tfjs export or a fine-tune), else `class 0`, `class 1`, ... */
  classes: string[];
  /** Where the weights came from, for messages. */
  source: string;
}

/** Classifier weight keys of the families, to read the number of classes off a checkpoint. */
const CLASSIFIER_KEYS = ['head.fc.weight', 'head.fc2.weight', 'classifier.weight', 'head.weight', 'fc.weight'];

function defaultClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `class ${i}`);
}

function build(name: string, overrides: ModelOverrides, tensors: ReadonlyMap<string, TensorData>, source: string, reparameterized: boolean, classes?: string[]): LoadedModel {
  const entry = getModelEntry(name);
  const args = { ...overrides };
  if (args.numClasses === undefined) {
    const key = CLASSIFIER_KEYS.find((k) => tensors.has(k));
    if (key) args.numClasses = tensors.get(key)!.shape[0];
  }
  const model = createModel(name, args);
  try {
    if (reparameterized) reparameterize(model);
    loadStateDict(model, tensors, { source });
  } catch (err) {
    model.dispose();
    throw err;
  }
  model.eval();
  return { model, name, overrides: args, cfg: entry.pretrainedCfg, classes: classes ?? defaultClasses(model.numClasses), source };
}

/** A timm-key `.safetensors` checkpoint (bytes) for the registered model `name` with `overrides`. */
export function modelFromSafetensors(bytes: Uint8Array, source: string, name: string, overrides: ModelOverrides = {}): LoadedModel {
  const { tensors, metadata } = parseSafetensors(bytes, source);
  // our own fine-tuned downloads carry their class names
  let classes: string[] | undefined;
  try {
    classes = metadata.classes ? (JSON.parse(metadata.classes) as string[]) : undefined;
  } catch {
    classes = undefined;
  }
  const loaded = build(name, overrides, tensors, source, false, classes);
  if (loaded.classes.length !== loaded.model.numClasses) loaded.classes = defaultClasses(loaded.model.numClasses);
  return loaded;
}

interface TfjsModelJson {
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  nextnets?: { model: string; modelArgs?: ModelOverrides; reparameterized?: boolean; classes?: string[] };
}

/** Shard file names a `model.json` needs, in order. */
export function tfjsShardPaths(json: unknown): string[] {
  const manifest = (json as TfjsModelJson).weightsManifest;
  return Array.isArray(manifest) ? manifest.flatMap((group) => group.paths) : [];
}

/**
 * A `nextnets export --format tfjs` folder: the parsed `model.json` and its shards by file name. The model name and
 * overrides come from the `nextnets` block.
 */
export function modelFromTfjs(json: unknown, shards: ReadonlyMap<string, Uint8Array>, source: string): LoadedModel {
  const info = (json as TfjsModelJson).nextnets;
  const manifest = (json as TfjsModelJson).weightsManifest;
  if (!info || typeof info.model !== 'string' || !Array.isArray(manifest)) {
    throw new Error(`${source}: not a nextnets tfjs export (no 'nextnets' block or 'weightsManifest'); write one with nextnets export --format tfjs`);
  }
  const tensors = new Map<string, TensorData>();
  for (const group of manifest) {
    const parts = group.paths.map((p) => {
      const bytes = shards.get(p);
      if (!bytes) throw new Error(`${source}: weight shard '${p}' is missing (drop it together with model.json)`);
      return bytes;
    });
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    let byteOffset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== 'float32') throw new Error(`${source}: weight '${w.name}' has dtype ${w.dtype}, expected float32`);
      if (byteOffset + count * 4 > all.length) throw new Error(`${source}: weight '${w.name}' runs past the end of the shards`);
      tensors.set(w.name, { shape: w.shape, data: new Float32Array(all.slice(byteOffset, byteOffset + count * 4).buffer) });
      byteOffset += count * 4;
    }
  }
  return build(info.model, info.modelArgs ?? {}, tensors, source, info.reparameterized === true, info.classes);
}
