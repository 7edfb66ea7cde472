import type { ModelOverrides } from '@nextnets/core-layers';

/** Checks a timm-style override object against the keys a family accepts; every problem is a one-line Error. */
export class OverrideReader {
  constructor(
    private readonly modelName: string,
    private readonly overrides: ModelOverrides,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(overrides)) {
      if (!allowed.includes(key)) {
        throw new Error(`${modelName}: unknown override '${key}' (accepted: ${allowed.join(', ')})`);
      }
    }
  }

  private has(key: string): boolean {
    return this.overrides[key] !== undefined;
  }

  private fail(key: string, expected: string): never {
    throw new Error(`${this.modelName}: override '${key}' must be ${expected}, got ${JSON.stringify(this.overrides[key])}`);
  }

  /** A finite number ≥ min (and ≤ max), or the default when absent. */
  number(key: string, fallback: number, min = 0, max = Infinity): number {
    if (!this.has(key)) return fallback;
    const v = this.overrides[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(key, `a number in [${min}, ${max}]`);
    return v;
  }

  /** An integer ≥ min, or the default. */
  int(key: string, fallback: number, min = 0): number {
    const v = this.number(key, fallback, min);
    if (!Number.isInteger(v)) this.fail(key, `an integer ≥ ${min}`);
    return v;
  }

  /** A non-empty array of numbers (each ≥ min; integers when `integer`), or the default. */
  numbers(key: string, fallback: readonly number[], min: number, integer: boolean): number[] {
    if (!this.has(key)) return [...fallback];
    const v = this.overrides[key];
    const ok =
      Array.isArray(v) &&
      v.length > 0 &&
      v.every((e) => typeof e === 'number' && Number.isFinite(e) && e >= min && (!integer || Number.isInteger(e)));
    if (!ok) this.fail(key, `a non-empty array of ${integer ? 'integers' : 'numbers'} ≥ ${min}`);
    return [...(v as number[])];
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.overrides[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** A number, or `null` meaning "off" (e.g. `lsInitValue: null` = no layer scale). */
  numberOrNull(key: string, fallback: number | null): number | null {
    if (!this.has(key)) return fallback;
    if (this.overrides[key] === null) return null;
    return this.number(key, 0, -Infinity);
  }
}

/** timm's drop-path schedule: linspace(0, rate, total blocks) split per stage (spec §0). */
export function dropPathRates(rate: number, depths: readonly number[]): number[][] {
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

/** Throws unless depths and dims (and any per-stage list) have the same length. */
export function checkStageLists(modelName: string, lists: Record<string, readonly number[]>): void {
  const entries = Object.entries(lists);
  const [firstKey, first] = entries[0];
  for (const [key, list] of entries.slice(1)) {
    if (list.length !== first.length) {
      throw new Error(`${modelName}: '${key}' has ${list.length} stages but '${firstKey}' has ${first.length}`);
    }
  }
}
