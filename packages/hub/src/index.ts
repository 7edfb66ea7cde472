/**
 * Pretrained timm weights from the Hugging Face hub for nextnets models. This entry point is browser-safe: it
 * downloads with `fetch` (through `@huggingface/hub`) and keeps files in the Cache Storage API. In Node, import
 * `@nextnets/hub/node` instead for the on-disk cache shared with Python's huggingface_hub and local paths.
 */
import type { ImageClassifier } from '@nextnets/core-layers';
import { fetchWeights, type FetchWeightsOptions } from './browser-weights.js';
import { createPretrainedWith, loadPretrainedWith, type CreatePretrainedOptions, type PretrainedInfo } from './load.js';

export interface LoadPretrainedOptions extends FetchWeightsOptions {
  /** The registry name of `model`, needed only for `ref: true` (its default tag). */
  modelName?: string;
}

/** Loads `ref` (hub id[@revision], URL, or `true` with `modelName`) into `model`. */
export function loadPretrained(model: ImageClassifier, ref: string | true, opts: LoadPretrainedOptions = {}): Promise<PretrainedInfo> {
  return loadPretrainedWith(fetchWeights, model, opts.modelName, ref, opts);
}

/** `createModel(name, overrides)` plus `pretrained: true | ref` (see `createPretrainedWith`). */
export function createPretrained(name: string, options: CreatePretrainedOptions = {}, opts: FetchWeightsOptions = {}): Promise<{ model: ImageClassifier; pretrained?: PretrainedInfo }> {
  return createPretrainedWith(fetchWeights, name, options, opts);
}

export { fetchWeights, processEnv } from './browser-weights.js';
export type { FetchWeightsOptions, FetchedWeights, WeightsCache } from './browser-weights.js';
export { defaultPretrainedTag, findDefaultTag, listDefaultTags, tagForHubId } from './default-tags.js';
export type { PretrainedTag } from './default-tags.js';
export type { DownloadProgress, ProgressCallback } from './download.js';
export { HubError } from './errors.js';
export { IMAGENET_1K_CLASSES } from './labels.js';
export { checkpointClasses, classifierKeys, loadPretrainedTensors, pretrainedLabels, resolveRef } from './load.js';
export { parseTimmConfig } from './hub-config.js';
export type { TimmHubConfig } from './hub-config.js';
export type { CreatePretrainedOptions, PretrainedInfo, PretrainedLoadReport } from './load.js';
export { describeRef, parseRef, WEIGHTS_FILE } from './ref.js';
export type { PretrainedRef } from './ref.js';
export { DEFAULT_ENDPOINT, hubSettings } from './settings.js';
export type { HubSettings } from './settings.js';
