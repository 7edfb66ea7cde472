/** One-line errors for hub failures: they name the repository, the revision and what to do. */
import { HubApiError } from '@huggingface/hub';

export class HubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubError';
  }
}

export interface HubTarget {
  repo: string;
  revision: string;
  file: string;
  endpoint: string;
}

/** Turns whatever the download threw into a one-line HubError. */
export function hubFailure(error: unknown, t: HubTarget): HubError {
  if (error instanceof HubError) return error;
  const where = `${t.repo}@${t.revision}`;
  if (error instanceof HubApiError) {
    if (error.statusCode === 404) {
      return new HubError(`${where}: repository or revision not found on ${t.endpoint} (404); check the model id and revision, and set HF_TOKEN if the repository is private`);
    }
    if (error.statusCode === 401 || error.statusCode === 403) {
      return new HubError(`${where}: access denied by ${t.endpoint} (${error.statusCode}); the repository is private, gated or does not exist: set HF_TOKEN to a token that can read it`);
    }
    return new HubError(`${where}: ${t.endpoint} answered ${error.statusCode} for ${t.file}: ${firstLine(error.message)}`);
  }
  const message = firstLine(error instanceof Error ? error.message : String(error));
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${firstLine(error.cause.message)}` : '';
  if (error instanceof TypeError && /fetch failed|network/i.test(message)) {
    return new HubError(`${where}: cannot reach ${t.endpoint} to download ${t.file}${cause}; check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only`);
  }
  return new HubError(`${where}: downloading ${t.file} from ${t.endpoint} failed: ${message}${cause}`);
}

/** A file the repository does not have (404 EntryNotFound); `commit` is the revision's commit when the hub said. */
export class EntryNotFoundError extends HubError {
  constructor(
    t: HubTarget,
    readonly commit?: string,
  ) {
    super(`${t.repo}@${t.revision} has no file ${t.file} on ${t.endpoint} (404); is it a timm model repository with safetensors weights?`);
  }
}

export function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim();
}
