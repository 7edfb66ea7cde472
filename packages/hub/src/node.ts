/**
 * Node entry point: everything of the main entry, with `loadPretrained` / `createPretrained` resolving hub ids through
 * the on-disk cache shared with Python's huggingface_hub (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN,
 * HF_HUB_OFFLINE), local `.safetensors` paths, and URLs.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { ImageClassifier } from '@nextnets/core-layers';
import { fetchUrl } from './download.js';
import { HubError } from './errors.js';
import { createPretrainedWith, loadPretrainedWith, type CreatePretrainedOptions, type PretrainedInfo } from './load.js';
import { parseTimmConfig, type TimmHubConfig } from './hub-config.js';
import { hubFile, optionalHubFile, type HubFileOptions } from './node-cache.js';
import { describeRef, parseRef, type PretrainedRef } from './ref.js';

export * from './index.js';
export { hubCacheDir, hubFile, hubToken, optionalHubFile, repoCacheFolder } from './node-cache.js';
export type { HubFile, HubFileOptions, HubFileRef } from './node-cache.js';

export interface NodeWeights {
  bytes: Uint8Array;
  source: string;
  /** The local file (cache snapshot or the given path); absent for URLs. */
  path?: string;
  /** Whether the hub was contacted (false: served from the cache or a local file). */
  downloaded: boolean;
  /** The repository's timm `config.json` (preprocessing, class names), when it has one. */
  config?: TimmHubConfig;
}

/** Reads a local path, downloads a URL, or gets a hub file through the cache. */
export async function fetchWeightsNode(ref: PretrainedRef, opts: HubFileOptions = {}): Promise<NodeWeights> {
  if (ref.kind === 'path') {
    if (!existsSync(ref.path)) throw new HubError(`pretrained weights not found: ${ref.path}`);
    return { bytes: new Uint8Array(await readFile(ref.path)), source: ref.path, path: ref.path, downloaded: false };
  }
  if (ref.kind === 'url') return { bytes: await fetchUrl(ref.url, opts), source: ref.url, downloaded: true };
  const file = await hubFile(ref, opts);
  // pinned to the weights' commit, so both files come from the same snapshot
  const configFile = await optionalHubFile({ repo: ref.repo, revision: file.commit, file: 'config.json' }, { ...opts, onProgress: undefined });
  const config = configFile ? parseTimmConfig(await readFile(configFile.path, 'utf8')) : undefined;
  return { bytes: new Uint8Array(await readFile(file.path)), source: `${describeRef(ref)} (${file.path})`, path: file.path, downloaded: file.downloaded, config };
}

/**
 * `parseRef` that prefers an existing local file: a relative path such as `timm/x` that names a file is a path,
 * anything else parses as usual.
 */
export function parseRefNode(ref: string, endpoint?: string): PretrainedRef {
  if (isFile(ref)) return { kind: 'path', path: ref };
  return parseRef(ref, endpoint);
}

export interface NodeLoadOptions extends HubFileOptions {
  /** The registry name of `model`, needed only for `ref: true` (its default tag). */
  modelName?: string;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** An existing local file spelled so that `parseRef` reads it as a path (`timm/x` could also be a hub id). */
function localFirst(ref: string): string {
  if (!isFile(ref) || isAbsolute(ref) || /^\.{1,2}[\\/]/.test(ref)) return ref;
  return `./${ref}`;
}

function nodeFetcher(ref: PretrainedRef, opts: HubFileOptions) {
  return fetchWeightsNode(ref, opts);
}

/** Loads `ref` (hub id[@revision], URL, local path, or `true` with `modelName`) into `model`. */
export function loadPretrained(model: ImageClassifier, ref: string | true, opts: NodeLoadOptions = {}): Promise<PretrainedInfo> {
  return loadPretrainedWith(nodeFetcher, model, opts.modelName, typeof ref === 'string' ? localFirst(ref) : ref, opts);
}

/** `createModel(name, overrides)` plus `pretrained: true | ref`, through the Node cache. */
export function createPretrained(name: string, options: CreatePretrainedOptions = {}, opts: HubFileOptions = {}): Promise<{ model: ImageClassifier; pretrained?: PretrainedInfo }> {
  const p = options.pretrained;
  return createPretrainedWith(nodeFetcher, name, typeof p === 'string' ? { ...options, pretrained: localFirst(p) } : options, opts);
}
