/** What `ref` in `loadPretrained(model, ref)` names: a hub model (with optional revision), a URL, or a local file. */

export type PretrainedRef =
  | { kind: 'hub'; repo: string; revision: string; file: string }
  | { kind: 'url'; url: string }
  | { kind: 'path'; path: string };

/** The weights file timm publishes in each model repository. */
export const WEIGHTS_FILE = 'model.safetensors';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Parses a reference: `timm/convnext_atto.d2_in1k`, `timm/convnext_atto.d2_in1k@<revision>`, `hf-hub:timm/…` (timm's
 * spelling), an `http(s)://` URL (a hub `…/resolve/<revision>/<file>` URL becomes a hub reference, so it is cached),
 * or a local path (`./x.safetensors`, `/abs/path`, `C:\…`, or anything ending in `.safetensors`).
 */
export function parseRef(ref: string, endpoint?: string): PretrainedRef {
  const text = ref.trim();
  if (text === '') throw new Error('empty pretrained reference: give a hub id (timm/convnext_atto.d2_in1k), a URL or a .safetensors path');
  if (/^https?:\/\//i.test(text)) return hubUrlRef(text, endpoint) ?? { kind: 'url', url: text };
  const hub = text.replace(/^hf-hub:/, '');
  const at = hub.lastIndexOf('@');
  const id = at > 0 ? hub.slice(0, at) : hub;
  const revision = at > 0 ? hub.slice(at + 1) : 'main';
  const pathLike = /^(\.{0,2}[\\/]|~|[A-Za-z]:[\\/])/.test(text) || /\.safetensors$/i.test(text);
  if (!pathLike && HUB_ID.test(id) && revision !== '') return { kind: 'hub', repo: id, revision, file: WEIGHTS_FILE };
  if (pathLike) return { kind: 'path', path: text };
  throw new Error(`'${ref}' is not a hub id (org/name[@revision]), a URL or a .safetensors path`);
}

/** `{endpoint}/{org}/{name}/resolve/{revision}/{file}` as a hub reference (only on the configured endpoint). */
function hubUrlRef(url: string, endpoint = 'https://huggingface.co'): PretrainedRef | undefined {
  const base = endpoint.replace(/\/+$/, '');
  if (!url.startsWith(`${base}/`)) return undefined;
  const match = /^([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+?)(\?.*)?$/.exec(url.slice(base.length + 1));
  if (!match) return undefined;
  return { kind: 'hub', repo: match[1], revision: decodeURIComponent(match[2]), file: match[3] };
}

/** `repo@revision` for messages. */
export function describeRef(ref: PretrainedRef): string {
  if (ref.kind === 'hub') return `${ref.repo}@${ref.revision}${ref.file === WEIGHTS_FILE ? '' : `/${ref.file}`}`;
  return ref.kind === 'url' ? ref.url : ref.path;
}
