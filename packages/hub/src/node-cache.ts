/**
 * The on-disk cache, in Python huggingface_hub's layout so that both share one cache:
 * `<cache>/models--<org>--<name>/{blobs/<etag>, refs/<revision> (a commit id), snapshots/<commit>/<file> -> ../../blobs/<etag>}`
 * with `<cache>` = `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. A cached file is used without any request; a download goes to a uniquely named
 * `.incomplete` file in `blobs/`, is checked (byte count, and sha256 when the ETag is one) and only then renamed to
 * its blob name, so a broken or corrupt transfer never becomes a cache entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { isSha256, probeHubFile, streamHubFile, type NetworkOptions } from './download.js';
import { EntryNotFoundError, HubError } from './errors.js';
import { hubSettings, type HubSettings } from './settings.js';

export interface HubFileOptions extends Omit<NetworkOptions, 'token'>, Partial<HubSettings> {
  /** Cache folder (default: huggingface_hub's, from HF_HUB_CACHE / HF_HOME). */
  cacheDir?: string;
  /** Environment for HF_ENDPOINT / HF_TOKEN / HF_HUB_OFFLINE / HF_HOME (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export interface HubFileRef {
  repo: string;
  revision: string;
  file: string;
}

export interface HubFile {
  /** `<cache>/models--org--name/snapshots/<commit>/<file>`. */
  path: string;
  commit: string;
  /** False when the cache had it (no request was made). */
  downloaded: boolean;
}

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The hub cache folder huggingface_hub uses: HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE), else HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub. Unlike `getHFHubCachePath` of `@huggingface/hub`
 * it reads a given environment, and an empty variable counts as unset (never a cache in the working directory).
 */
export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  const hubCache = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hubCache) return hubCache;
  return join(env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface'), 'hub');
}

/** The token: HF_TOKEN, else the file `huggingface-cli login` writes (HF_TOKEN_PATH, else $HF_HOME/token). */
export function hubToken(env: Record<string, string | undefined>): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN;
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  const path = env.HF_TOKEN_PATH || join(home, 'token');
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, 'utf8').trim();
  return token === '' ? undefined : token;
}

/** Folder of a model repository in the cache. */
export function repoCacheFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

async function readRef(storage: string, revision: string): Promise<string | undefined> {
  if (COMMIT.test(revision)) return revision;
  try {
    const commit = (await readFile(join(storage, 'refs', revision), 'utf8')).trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
}

/** Writes `text` to `path` through a temporary file and a rename. */
async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** `snapshots/<commit>/<file>` → the blob, as a relative symlink (a copy where symlinks are not allowed). */
async function linkSnapshot(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  const temp = tempName(pointer);
  try {
    try {
      await symlink(relative(dirname(pointer), blob), temp);
    } catch {
      await copyFile(blob, temp);
    }
    await rename(temp, pointer);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Downloads the probed file into `blob` through a temporary file; nothing is left behind on failure. */
async function downloadBlob(target: HubFileRef & { endpoint: string }, probed: Awaited<ReturnType<typeof probeHubFile>>, blob: string, network: NetworkOptions): Promise<void> {
  await mkdir(dirname(blob), { recursive: true });
  const temp = tempName(blob);
  const hash = createHash('sha256');
  const handle = await open(temp, 'wx');
  try {
    await streamHubFile(target, probed, network, async (chunk) => {
      hash.update(chunk);
      await handle.write(chunk);
    });
    await handle.sync();
    await handle.close();
    if (isSha256(probed.etag)) {
      const digest = hash.digest('hex');
      if (digest !== probed.etag) {
        throw new HubError(`${target.repo}@${target.revision}: downloaded ${target.file} has sha256 ${digest}, the hub announced ${probed.etag}; nothing was cached, run again`);
      }
    }
    await rename(temp, blob);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * The local path of a hub file: from the cache when `refs/<revision>` (or a commit revision) points at a snapshot
 * holding it, without any request; else downloaded (unless offline, which is then a one-line error).
 */
export async function hubFile(ref: HubFileRef, opts: HubFileOptions = {}): Promise<HubFile> {
  return (await resolveHubFile(ref, opts, false))!;
}

/**
 * Like `hubFile` for a file a repository may lack (timm's `config.json`): undefined when the hub says it does not
 * exist, which is remembered as huggingface_hub does (`.no_exist/<commit>/<file>`, so no request next time), when
 * offline and not cached, or when the request fails.
 */
export async function optionalHubFile(ref: HubFileRef, opts: HubFileOptions = {}): Promise<HubFile | undefined> {
  try {
    return await resolveHubFile(ref, opts, true);
  } catch {
    return undefined;
  }
}

async function resolveHubFile(ref: HubFileRef, opts: HubFileOptions, optional: boolean): Promise<HubFile | undefined> {
  const env = opts.env ?? process.env;
  const settings = hubSettings(env, opts);
  const cacheDir = opts.cacheDir ?? hubCacheDir(env);
  const storage = repoCacheFolder(cacheDir, ref.repo);
  const where = `${ref.repo}@${ref.revision}`;
  const cachedCommit = await readRef(storage, ref.revision);
  if (cachedCommit) {
    const pointer = join(storage, 'snapshots', cachedCommit, ref.file);
    if (await exists(pointer)) return { path: pointer, commit: cachedCommit, downloaded: false };
    if (optional && (await exists(join(storage, '.no_exist', cachedCommit, ref.file)))) return undefined;
  }
  if (settings.offline) {
    if (optional) return undefined;
    throw new HubError(`${where}: ${ref.file} is not in the cache ${cacheDir} and HF_HUB_OFFLINE is set; download it once online (unset HF_HUB_OFFLINE) or point HF_HOME/HF_HUB_CACHE at a cache that has it`);
  }
  const target = { ...ref, endpoint: settings.endpoint };
  const network: NetworkOptions = { token: settings.token ?? hubToken(env), fetch: opts.fetch, onProgress: opts.onProgress };
  let probed;
  try {
    probed = await probeHubFile(target, network);
  } catch (error) {
    const missingCommit = error instanceof EntryNotFoundError ? (COMMIT.test(ref.revision) ? ref.revision : error.commit) : undefined;
    if (!optional || !missingCommit || !COMMIT.test(missingCommit)) throw error;
    await writeAtomic(join(storage, '.no_exist', missingCommit, ref.file), '');
    if (ref.revision !== missingCommit) await writeAtomic(join(storage, 'refs', ref.revision), missingCommit);
    return undefined;
  }
  const commit = COMMIT.test(ref.revision) ? ref.revision : probed.commit;
  if (!commit || !COMMIT.test(commit)) {
    throw new HubError(`${where}: ${settings.endpoint} sent no commit id (X-Repo-Commit) for ${ref.file}; is HF_ENDPOINT a Hugging Face hub?`);
  }
  if (/[/\\]|^\.\.?$/.test(probed.etag)) throw new HubError(`${where}: unusable ETag ${JSON.stringify(probed.etag)} from ${settings.endpoint}`);
  const blob = join(storage, 'blobs', probed.etag);
  const pointer = join(storage, 'snapshots', commit, ref.file);
  let downloaded = false;
  const have = await stat(blob).then((s) => s.size === probed.info.size, () => false);
  if (!have) {
    await downloadBlob(target, probed, blob, network);
    downloaded = true;
  }
  await linkSnapshot(blob, pointer);
  if (ref.revision !== commit) await writeAtomic(join(storage, 'refs', ref.revision), commit);
  return { path: pointer, commit, downloaded };
}
