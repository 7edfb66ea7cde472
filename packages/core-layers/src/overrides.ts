/**
 * Validation of timm-style model overrides (the `**kwargs` of timm's `build_model_with_cfg`), one place for every
 * family: unknown keys and values of the wrong kind fail with one line naming the model and the key.
 */
import type { ModelOverrides } from './registry.js';

/** Throws unless every key of `overrides` is in `allowed`. */
export function checkOverrideKeys(modelName: string, overrides: ModelOverrides, allowed: readonly string[]): void {
  for (const key of Object.keys(overrides)) {
    if (!allowed.includes(key)) throw new Error(`${modelName}: unknown override '${key}' (accepted: ${allowed.join(', ')})`);
  }
}

/** Reads typed values from an override object after checking its keys. */
export class OverrideReader {
  constructor(
    private readonly modelName: string,
    private readonly overrides: ModelOverrides,
    allowed: readonly string[],
  ) {
    checkOverrideKeys(modelName, overrides, allowed);
  }

  private has(key: string): boolean {
    return this.overrides[key] !== undefined;
  }

  private fail(key: string, expected: string): never {
    throw new Error(`${this.modelName}: override '${key}' must be ${expected}, got ${JSON.stringify(this.overrides[key])}`);
  }

  /** A finite number in [min, max], or the default when absent. */
  number(key: string, fallback: number, min = 0, max = Infinity): number {
    if (!this.has(key)) return fallback;
    const v = this.overrides[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(key, `a number in [${min}, ${max}]`);
    return v;
  }

  /** A number > 0 (widths, multipliers, eps). */
  positive(key: string, fallback: number): number {
    const v = this.number(key, fallback, -Infinity);
    if (!(v > 0)) this.fail(key, '> 0');
    return v;
  }

  /** A probability in [0, 1) (dropout, drop path). */
  rate(key: string, fallback: number): number {
    const v = this.number(key, fallback, -Infinity);
    if (!(v >= 0 && v < 1)) this.fail(key, 'in [0, 1)');
    return v;
  }

  /** An integer ≥ min, or the default. */
  int(key: string, fallback: number, min = 0): number {
    const v = this.number(key, fallback, -Infinity);
    if (!Number.isInteger(v) || v < min) this.fail(key, `an integer >= ${min}`);
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
    if (!ok) this.fail(key, `a non-empty array of ${integer ? 'integers' : 'numbers'} >= ${min}`);
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

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether `value` may replace `expected`: same kind (number, boolean, number array), or null for nullable keys. */
function acceptable(expected: unknown, value: unknown, nullable: boolean): boolean {
  if (value === null) return nullable;
  if (Array.isArray(expected)) return Array.isArray(value) && value.every(isFiniteNumber);
  if (typeof expected === 'boolean') return typeof value === 'boolean';
  return isFiniteNumber(value);
}

/**
 * Merges overrides into a variant's config, accepting exactly the config's keys with values of the same kind;
 * `nullable` lists keys that accept `null` (e.g. RepLKNet's `smallKernel`).
 */
export function mergeOverrides<C extends object>(modelName: string, defaults: C, overrides: ModelOverrides, nullable: readonly string[] = []): C {
  const out = { ...defaults } as Record<string, unknown>;
  checkOverrideKeys(
    modelName,
    Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    Object.keys(out),
  );
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!acceptable(out[key], value, nullable.includes(key))) throw new Error(`${modelName}: override '${key}' has invalid value ${JSON.stringify(value)}`);
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as C;
}
