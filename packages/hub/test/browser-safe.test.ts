/** The main entry must stay browser-safe: no module reachable from src/index.ts imports a `node:` built-in. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
}

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const specifiers = imports(file);
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.') && !s.endsWith('.json')) stack.push(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('entry points', () => {
  it('nothing reachable from the main entry imports node: modules; the node entry does', () => {
    const main = reachable(join(SRC, 'index.ts'));
    expect(main.size).toBeGreaterThan(5);
    const offenders = [...main].filter(([, specs]) => specs.some((s) => s.startsWith('node:'))).map(([f]) => f);
    expect(offenders).toEqual([]);
    const node = reachable(join(SRC, 'node.ts'));
    expect([...node.values()].flat().some((s) => s.startsWith('node:'))).toBe(true);
  });
});
