import { CliError } from './errors.js';

/** Parses a positive or non-negative integer option value (`--epochs 3`). */
export function parseInteger(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be an integer >= ${min}, got '${value}'`);
    return n;
  };
}

/** Parses a finite number option value (`--lr 1e-3`). */
export function parseNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`${name} must be a number, got '${value}'`);
    return n;
  };
}

/** Parses `--model-args '{"numClasses": 10}'` into a plain object. */
export function parseModelArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--model-args is not valid JSON (${(error as Error).message}): ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`--model-args must be a JSON object like '{"numClasses": 10}', got ${text}`);
  }
  return value as Record<string, unknown>;
}
