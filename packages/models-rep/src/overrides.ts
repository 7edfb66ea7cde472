import type { ModelOverrides } from '@nextnets/core-layers';

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether `value` may replace `expected`: same kind (number, boolean, number array), or null for nullable keys. */
function acceptable(expected: unknown, value: unknown, nullable: boolean): boolean {
  if (value === null) return nullable;
  if (Array.isArray(expected)) return Array.isArray(value) && value.every(isFiniteNumber);
  if (typeof expected === 'boolean') return typeof value === 'boolean';
  return isFiniteNumber(value);
}

/**
 * Merges timm-style overrides into a variant's config. Unknown keys and values of the wrong kind fail with one line
 * naming the model and the key. `nullable` lists keys that accept `null` (e.g. RepLKNet's `smallKernel`).
 */
export function applyOverrides<C extends object>(
  model: string,
  defaults: C,
  overrides: ModelOverrides,
  nullable: readonly string[] = [],
): C {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in out)) {
      throw new Error(`${model}: unknown override '${key}' (accepted: ${Object.keys(out).join(', ')})`);
    }
    if (!acceptable(out[key], value, nullable.includes(key))) {
      throw new Error(`${model}: override '${key}' has invalid value ${JSON.stringify(value)}`);
    }
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as C;
}

/** `linspace(0, rate, total)` split into per-stage lists (spec §0 drop-path schedule). */
export function stageDropPathRates(rate: number, depths: readonly number[]): number[][] {
  const total = depths.reduce((a, b) => a + b, 0);
  const all = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
  const out: number[][] = [];
  let start = 0;
  for (const d of depths) {
    out.push(all.slice(start, start + d));
    start += d;
  }
  return out;
}
