/**
 * The network side of a hub download, on `@huggingface/hub` (which speaks the hub's protocol, Xet storage included):
 * `fileDownloadInfo` probes `{endpoint}/{repo}/resolve/{revision}/{file}` for size and ETag, and `downloadFile`
 * streams the content. The commit id the hub sends with the probe (`X-Repo-Commit`) is captured through the `fetch`
 * the library accepts, since the library does not return it.
 */
import { downloadFile, fileDownloadInfo, type FileDownloadInfoOutput } from '@huggingface/hub';
import { EntryNotFoundError, hubFailure, HubError, type HubTarget } from './errors.js';

export interface DownloadProgress {
  /** `repo@revision/file` or the URL. */
  file: string;
  loaded: number;
  /** Total bytes (the hub's Content-Length / Content-Range). */
  total: number;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

export interface NetworkOptions {
  token?: string;
  /** A `fetch` to use instead of the global one (proxies, extra headers, tests). */
  fetch?: typeof fetch;
  onProgress?: ProgressCallback;
}

export interface ProbedFile {
  info: FileDownloadInfoOutput;
  /** The commit the revision resolved to, when the hub said (`X-Repo-Commit`). */
  commit?: string;
  /** The ETag without quotes and weak prefix (huggingface_hub's blob name: the sha256 for LFS/Xet files). */
  etag: string;
}

/** huggingface_hub's ETag normalisation: drop a weak `W/` prefix and the quotes. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** Size, ETag and commit of a hub file; one-line errors for 404/401/network failures. */
export async function probeHubFile(t: HubTarget, opts: NetworkOptions): Promise<ProbedFile> {
  const base = opts.fetch ?? globalThis.fetch;
  let commit: string | undefined;
  const recording: typeof fetch = async (input, init) => {
    const response = await base(input, init);
    commit ??= response.headers.get('x-repo-commit') ?? undefined;
    return response;
  };
  let info: FileDownloadInfoOutput | null;
  try {
    info = await fileDownloadInfo({ repo: t.repo, path: t.file, revision: t.revision, hubUrl: t.endpoint, accessToken: opts.token, fetch: recording });
  } catch (error) {
    throw hubFailure(error, t);
  }
  if (!info) throw new EntryNotFoundError(t, commit);
  // the hub sends X-Repo-Commit with its own answer; when the probe was redirected to a CDN, the redirect had it
  commit ??= await redirectCommit(t, opts);
  return { info, commit, etag: normalizeEtag(info.etag) };
}

/**
 * X-Repo-Commit of the hub's own (unfollowed) answer to a HEAD of the resolve URL, as huggingface_hub reads it.
 * Browsers hide the headers of a manual redirect: there the commit stays unknown, which only the Node cache needs.
 */
async function redirectCommit(t: HubTarget, opts: NetworkOptions): Promise<string | undefined> {
  const url = `${t.endpoint}/${t.repo}/resolve/${encodeURIComponent(t.revision)}/${t.file}`;
  try {
    const response = await (opts.fetch ?? globalThis.fetch)(url, {
      method: 'HEAD',
      redirect: 'manual',
      headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : undefined,
    });
    return response.headers.get('x-repo-commit') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Streams a probed hub file chunk by chunk into `sink`, reporting progress; fails (one line) unless exactly the
 * announced number of bytes arrived, so a cut connection never passes for a complete file.
 */
export async function streamHubFile(
  t: HubTarget,
  probed: ProbedFile,
  opts: NetworkOptions,
  sink: (chunk: Uint8Array) => void | Promise<void>,
): Promise<number> {
  let blob: Blob | null;
  try {
    blob = await downloadFile({
      repo: t.repo,
      path: t.file,
      revision: t.revision,
      hubUrl: t.endpoint,
      accessToken: opts.token,
      fetch: opts.fetch,
      downloadInfo: probed.info,
    });
  } catch (error) {
    throw hubFailure(error, t);
  }
  if (!blob) throw new EntryNotFoundError(t);
  const label = `${t.repo}@${t.revision}/${t.file}`;
  try {
    return await drain(blob.stream(), probed.info.size, label, opts.onProgress, sink);
  } catch (error) {
    throw hubFailure(error, t);
  }
}

/** Reads a byte stream into `sink`, checking the byte count against `total`. */
export async function drain(
  stream: ReadableStream<Uint8Array>,
  total: number,
  label: string,
  onProgress: ProgressCallback | undefined,
  sink: (chunk: Uint8Array) => void | Promise<void>,
): Promise<number> {
  const reader = stream.getReader();
  let loaded = 0;
  onProgress?.({ file: label, loaded, total });
  for (;;) {
    let result: Awaited<ReturnType<typeof reader.read>>;
    try {
      result = await reader.read();
    } catch (error) {
      // WebBlob aborts its stream with the bare message string
      const reason = error instanceof Error ? error.message : String(error);
      throw new HubError(`${label}: the download broke off after ${loaded} of ${total} bytes (${reason}); nothing was cached, run again to retry`);
    }
    if (result.done) break;
    loaded += result.value.byteLength;
    if (loaded > total) throw new HubError(`${label}: received more than the announced ${total} bytes; nothing was cached`);
    await sink(result.value);
    onProgress?.({ file: label, loaded, total });
  }
  if (loaded !== total) throw new HubError(`${label}: the download ended after ${loaded} of ${total} bytes; nothing was cached, run again to retry`);
  return loaded;
}

/** Concatenates chunks. */
export function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Whether an ETag is a content sha256 (LFS/Xet files), which a download can be checked against. */
export function isSha256(etag: string): boolean {
  return SHA256.test(etag);
}

/** Fetches a plain URL into memory with progress (no hub semantics; the hub token is never sent to it). */
export async function fetchUrl(url: string, opts: NetworkOptions): Promise<Uint8Array> {
  const f = opts.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await f(url);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new HubError(`cannot download ${url}${cause || `: ${(error as Error).message}`}`);
  }
  if (!response.ok || !response.body) throw new HubError(`${url}: the server answered ${response.status} ${response.statusText}`.trim());
  const length = Number(response.headers.get('content-length'));
  const chunks: Uint8Array[] = [];
  if (Number.isFinite(length) && length > 0) {
    const n = await drain(response.body, length, url, opts.onProgress, (c) => void chunks.push(c));
    return concatChunks(chunks, n);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  opts.onProgress?.({ file: url, loaded: bytes.byteLength, total: bytes.byteLength });
  return bytes;
}
