/**
 * Weights bytes for a reference with nothing but `fetch`: works in browsers (and anywhere `fetch` exists). Downloads
 * are kept in the Cache Storage API when it is there (`caches`, or `cache` in the options), keyed by the resolve URL,
 * so a second load of the same reference needs no network. Pin a commit (`repo@<sha>`) for a cache entry that
 * never goes stale; a branch revision is cached as it was first fetched.
 */
import { concatChunks, fetchUrl, isSha256, probeHubFile, streamHubFile, type NetworkOptions } from './download.js';
import { EntryNotFoundError, HubError, type HubTarget } from './errors.js';
import { parseTimmConfig, type TimmHubConfig } from './hub-config.js';
import { describeRef, type PretrainedRef } from './ref.js';
import { hubSettings, type HubSettings } from './settings.js';

/** The part of the Cache Storage API's `Cache` used here. */
export interface WeightsCache {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

export interface FetchWeightsOptions extends Omit<NetworkOptions, 'token'>, Partial<HubSettings> {
  /** Where downloads are kept; default: `caches.open('nextnets-hub')` when the Cache Storage API exists. */
  cache?: WeightsCache | null;
  /** Environment to read `HF_ENDPOINT`/`HF_TOKEN`/`HF_HUB_OFFLINE` from (default: `process.env` where it exists). */
  env?: Record<string, string | undefined>;
}

export interface FetchedWeights {
  bytes: Uint8Array;
  /** Where they came from, for messages. */
  source: string;
  fromCache: boolean;
  /** The repository's timm `config.json`, for hub references that have one. */
  config?: TimmHubConfig;
}

/** The environment of the running process, if there is one (never in a browser). */
export function processEnv(): Record<string, string | undefined> {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env ?? {};
}

async function defaultCache(): Promise<WeightsCache | undefined> {
  const storage = (globalThis as { caches?: { open(name: string): Promise<WeightsCache> } }).caches;
  return storage ? storage.open('nextnets-hub') : undefined;
}

async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Cached stand-in for a file the repository does not have (so it is not asked for again). */
const MISSING = 'x-nextnets-missing';

/** A hub file's bytes through the cache; undefined for a missing optional file (remembered in the cache). */
async function hubBytes(
  target: HubTarget,
  cache: WeightsCache | undefined,
  offline: boolean,
  network: NetworkOptions,
  optional: boolean,
): Promise<{ bytes?: Uint8Array; fromCache: boolean }> {
  const key = `${target.endpoint}/${target.repo}/resolve/${encodeURIComponent(target.revision)}/${target.file}`;
  const where = `${target.repo}@${target.revision}/${target.file}`;
  const hit = await cache?.match(key);
  if (hit) return { bytes: hit.headers.get(MISSING) ? undefined : new Uint8Array(await hit.arrayBuffer()), fromCache: true };
  if (offline) {
    if (optional) return { fromCache: false };
    throw new HubError(`${where}: not in the browser cache and offline mode (HF_HUB_OFFLINE) forbids downloading; load it once online`);
  }
  let probed;
  try {
    probed = await probeHubFile(target, network);
  } catch (error) {
    if (!optional) throw error;
    if (error instanceof EntryNotFoundError) await cache?.put(key, new Response('', { headers: { [MISSING]: '1' } }));
    return { fromCache: false };
  }
  const chunks: Uint8Array[] = [];
  const total = await streamHubFile(target, probed, network, (c) => void chunks.push(c));
  const bytes = concatChunks(chunks, total);
  if (isSha256(probed.etag)) {
    const digest = await sha256Hex(bytes);
    if (digest !== undefined && digest !== probed.etag) {
      throw new HubError(`${where}: the download has sha256 ${digest}, the hub announced ${probed.etag}; nothing was cached, run again`);
    }
  }
  await cache?.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Length': String(bytes.byteLength) } }));
  return { bytes, fromCache: false };
}

/**
 * Downloads (or takes from the cache) the weights a hub or URL reference names; for a hub reference also the
 * repository's timm `config.json` when it has one (preprocessing and class names).
 */
export async function fetchWeights(ref: PretrainedRef, opts: FetchWeightsOptions = {}): Promise<FetchedWeights> {
  if (ref.kind === 'path') {
    throw new HubError(`${ref.path}: local files need the Node entry point (import { loadPretrained } from '@nextnets/hub/node')`);
  }
  const settings = hubSettings(opts.env ?? processEnv(), opts);
  const cache = opts.cache === null ? undefined : (opts.cache ?? (await defaultCache()));
  const source = describeRef(ref);
  const network: NetworkOptions = { token: settings.token, fetch: opts.fetch, onProgress: opts.onProgress };
  if (ref.kind === 'url') {
    const hit = await cache?.match(ref.url);
    if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), source, fromCache: true };
    if (settings.offline) throw new HubError(`${source}: not in the browser cache and offline mode (HF_HUB_OFFLINE) forbids downloading; load it once online`);
    const bytes = await fetchUrl(ref.url, network);
    await cache?.put(ref.url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Length': String(bytes.byteLength) } }));
    return { bytes, source, fromCache: false };
  }
  const target = { repo: ref.repo, revision: ref.revision, file: ref.file, endpoint: settings.endpoint };
  const weights = await hubBytes(target, cache, settings.offline, network, false);
  const configFile = await hubBytes({ ...target, file: 'config.json' }, cache, settings.offline, { ...network, onProgress: undefined }, true).catch(() => ({ bytes: undefined }));
  const config = configFile.bytes ? parseTimmConfig(new TextDecoder().decode(configFile.bytes)) : undefined;
  return { bytes: weights.bytes!, source, fromCache: weights.fromCache, config };
}
