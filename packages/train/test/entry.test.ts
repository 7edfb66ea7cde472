/** The main entry stays browser-safe: no module it reaches inside this package imports node:* or sharp. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(__dirname, '..', 'src');

function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
    reachable(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen);
  }
  return seen;
}

describe('@nextnets/train entry points', () => {
  it('the main entry reaches no node:* module and no sharp; the /node entry holds them', () => {
    const files = [...reachable(join(src, 'index.ts'))];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(node:[^']+|sharp)'/);
    expect(files).not.toContain(join(src, 'node.ts'));
    expect(readFileSync(join(src, 'node.ts'), 'utf8')).toMatch(/from 'node:fs'/);
  });
});
