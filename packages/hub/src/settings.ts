/**
 * Hub settings read from environment variables with Python huggingface_hub's names and meanings: `HF_ENDPOINT`,
 * `HF_TOKEN`, `HF_HUB_OFFLINE`. The browser has no environment: pass the settings explicitly there.
 */

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubSettings {
  /** Hub base URL without trailing slash (`HF_ENDPOINT`, default https://huggingface.co). */
  endpoint: string;
  /** Access token for private or gated repositories (`HF_TOKEN`). */
  token?: string;
  /** Use the cache only, never the network (`HF_HUB_OFFLINE=1`). */
  offline: boolean;
}

/** huggingface_hub's truthy spellings of a boolean environment variable. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

/** Settings from an environment (`process.env` in Node), overridden by explicit values. */
export function hubSettings(env: Record<string, string | undefined> = {}, overrides: Partial<HubSettings> = {}): HubSettings {
  const endpoint = (overrides.endpoint ?? (env.HF_ENDPOINT || DEFAULT_ENDPOINT)).replace(/\/+$/, '');
  const token = overrides.token ?? (env.HF_TOKEN || undefined);
  return { endpoint, token, offline: overrides.offline ?? envFlag(env.HF_HUB_OFFLINE) };
}
