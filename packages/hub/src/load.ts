/**
 * Loading pretrained weights into a model, as timm's `load_pretrained`: strict when the classifier matches; when the
 * model's number of classes differs from the checkpoint's, the checkpoint's classifier is dropped and the model's
 * freshly initialised one is kept (timm deletes the classifier weights and loads with strict=False).
 */
import {
  createModel,
  loadStateDict,
  parseSafetensors,
  type ImageClassifier,
  type ModelOverrides,
  type PretrainedCfg,
  type RawTensor,
} from '@nextnets/core-layers';
import { defaultPretrainedTag, tagForHubId, type PretrainedTag } from './default-tags.js';
import { HubError } from './errors.js';
import type { TimmHubConfig } from './hub-config.js';
import { IMAGENET_1K_CLASSES } from './labels.js';
import { describeRef, parseRef, type PretrainedRef } from './ref.js';

export interface PretrainedLoadReport {
  /** Where the weights came from (`timm/convnext_atto.d2_in1k@main`, a URL or a path). */
  source: string;
  /** Tensors loaded into the model. */
  loaded: number;
  /** Classes of the checkpoint's classifier (undefined when it has none). */
  checkpointClasses?: number;
  /** Classifier keys dropped because the model's number of classes differs; the model keeps its fresh classifier. */
  droppedClassifier: string[];
  /** One line saying what happened, for logs. */
  message: string;
}

export interface PretrainedInfo extends PretrainedLoadReport {
  /** timm's tag when the reference is one of the default tags (`pretrained: true`). */
  tag?: PretrainedTag;
  /**
   * Class names of the loaded classifier: the repository's `config.json` `label_names`, else ImageNet-1k's for a
   * default tag or 1000-class hub weights.
   */
  labels?: readonly string[];
  /**
   * Preprocessing of the weights: the repository's `config.json` pretrained cfg, else the default tag's, else
   * undefined (use the model's registered cfg).
   */
  pretrainedCfg?: PretrainedCfg;
}

/** Gets the weights of a reference as bytes (the browser fetcher or the Node cache). */
export type WeightsFetcher<O> = (ref: PretrainedRef, opts: O) => Promise<{ bytes: Uint8Array; source: string; config?: TimmHubConfig }>;

/**
 * Names of the model's classifier parameters: those `resetClassifier` replaces. The classifier is re-initialised
 * in the process (the caller loads weights afterwards).
 */
export function classifierKeys(model: ImageClassifier): string[] {
  const before = new Map(model.namedParameters().map(([name, p]) => [name, p.variable]));
  model.resetClassifier(model.numClasses);
  return model.namedParameters().filter(([name, p]) => before.get(name) !== p.variable).map(([name]) => name);
}

/** Classes of a checkpoint's classifier, given the model's classifier key names. */
export function checkpointClasses(tensors: ReadonlyMap<string, RawTensor>, headKeys: readonly string[]): number | undefined {
  for (const key of headKeys) {
    const t = tensors.get(key);
    if (t && t.shape.length >= 2) return t.shape[0];
  }
  return undefined;
}

const CLASSIFIER_NAME = /(^|\.)(head|classifier|fc|fc2|linear)(\.|$)/;

/** Loads timm-key tensors into `model` (see the module comment for the classifier rule); one-line errors. */
export function loadPretrainedTensors(model: ImageClassifier, tensors: ReadonlyMap<string, RawTensor>, source: string): PretrainedLoadReport {
  const headKeys = classifierKeys(model);
  const own = new Set([...model.namedParameters(), ...model.namedBuffers()].map(([name]) => name));
  // a model built without classifier (numClasses 0) has no classifier keys: the checkpoint's are those it lacks
  const headInCheckpoint = [...tensors.keys()].filter((k) => headKeys.includes(k) || (model.numClasses === 0 && !own.has(k) && CLASSIFIER_NAME.test(k)));
  const ckptClasses = checkpointClasses(tensors, headInCheckpoint);
  const matches = model.numClasses === 0 ? headInCheckpoint.length === 0 : ckptClasses === model.numClasses;
  if (matches) {
    loadStateDict(model, tensors, { strict: true, source });
    return { source, loaded: tensors.size, checkpointClasses: ckptClasses, droppedClassifier: [], message: `loaded ${tensors.size} tensors from ${source}` };
  }
  const kept = new Map([...tensors].filter(([k]) => !headInCheckpoint.includes(k)));
  const result = loadStateDict(model, kept, { strict: false, source });
  const missing = result.missingKeys.filter((k) => !headKeys.includes(k));
  if (missing.length > 0) throw new HubError(`${source}: missing key '${missing[0]}'${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''} in checkpoint`);
  if (result.unexpectedKeys.length > 0) throw new HubError(`${source}: unexpected key '${result.unexpectedKeys[0]}' in checkpoint (is it a checkpoint of this architecture?)`);
  const what = ckptClasses === undefined ? 'checkpoint has no classifier' : `checkpoint's ${ckptClasses}-class classifier (${headInCheckpoint.join(', ')}) was dropped`;
  const now = model.numClasses === 0 ? '; the model has no classifier (numClasses 0)' : ` and the classifier re-initialised for ${model.numClasses} classes`;
  return {
    source,
    loaded: kept.size,
    checkpointClasses: ckptClasses,
    droppedClassifier: headInCheckpoint,
    message: `loaded ${kept.size} tensors from ${source}; the ${what}${now}`,
  };
}

/** Resolves `true` to the model's default tag and a string to a parsed reference. */
export function resolveRef(modelName: string | undefined, ref: string | true, endpoint?: string): { ref: PretrainedRef; tag?: PretrainedTag } {
  if (ref === true) {
    if (!modelName) throw new HubError('pretrained: true needs a model name to pick its default timm tag');
    const tag = defaultPretrainedTag(modelName);
    return { ref: parseRef(tag.hubId), tag };
  }
  const parsed = parseRef(ref, endpoint);
  const tag = parsed.kind === 'hub' ? tagForHubId(parsed.repo) : undefined;
  return { ref: parsed, tag };
}

/** Class names for a checkpoint classifier of `numClasses` outputs (see `PretrainedInfo.labels`). */
export function pretrainedLabels(numClasses: number, fromHub: boolean, tag: PretrainedTag | undefined, config: TimmHubConfig | undefined): readonly string[] | undefined {
  if (config?.labels && config.labels.length === numClasses) return config.labels;
  return numClasses === IMAGENET_1K_CLASSES.length && (fromHub || tag?.labels === 'imagenet-1k') ? IMAGENET_1K_CLASSES : undefined;
}

function describeInfo(report: PretrainedLoadReport, ref: PretrainedRef, tag: PretrainedTag | undefined, model: ImageClassifier, config?: TimmHubConfig): PretrainedInfo {
  const kept = report.droppedClassifier.length === 0 && report.checkpointClasses === model.numClasses;
  const labels = kept ? pretrainedLabels(model.numClasses, ref.kind === 'hub', tag, config) : undefined;
  return { ...report, tag, labels, pretrainedCfg: config?.pretrainedCfg ?? tag?.pretrainedCfg };
}

/** Fetches, parses and loads; the shared body of both entry points' `loadPretrained`. */
export async function loadPretrainedWith<O>(fetcher: WeightsFetcher<O>, model: ImageClassifier, modelName: string | undefined, ref: string | true, opts: O & { endpoint?: string }): Promise<PretrainedInfo> {
  const resolved = resolveRef(modelName, ref, opts.endpoint);
  const { bytes, source, config } = await fetcher(resolved.ref, opts);
  const tensors = parseSafetensors(bytes, source).tensors;
  return describeInfo(loadPretrainedTensors(model, tensors, source), resolved.ref, resolved.tag, model, config);
}

export interface CreatePretrainedOptions extends ModelOverrides {
  /** `true`: timm's default tag for the model; a string: hub id[@revision], URL or path; false/absent: random init. */
  pretrained?: boolean | string;
}

/**
 * `timm.create_model(name, pretrained=True, **overrides)`: builds the model and loads the weights. Without a
 * `numClasses` override the model takes the checkpoint's number of classes; with a different one the classifier is
 * re-initialised (the report's message says so).
 */
export async function createPretrainedWith<O>(
  fetcher: WeightsFetcher<O>,
  name: string,
  options: CreatePretrainedOptions,
  opts: O & { endpoint?: string },
): Promise<{ model: ImageClassifier; pretrained?: PretrainedInfo }> {
  const { pretrained, ...overrides } = options;
  if (pretrained === undefined || pretrained === false) return { model: createModel(name, overrides) };
  const resolved = resolveRef(name, pretrained, opts.endpoint);
  const { bytes, source, config } = await fetcher(resolved.ref, opts);
  const tensors = parseSafetensors(bytes, source).tensors;
  const model = createModel(name, overrides);
  try {
    if (overrides.numClasses === undefined) {
      const ckpt = checkpointClasses(tensors, classifierKeys(model));
      if (ckpt !== undefined && ckpt !== model.numClasses) model.resetClassifier(ckpt);
    }
    return { model, pretrained: describeInfo(loadPretrainedTensors(model, tensors, source), resolved.ref, resolved.tag, model, config) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

export { describeRef };
