import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Maps every `@nextnets/<pkg>` import to its TypeScript source, and `@nextnets/<pkg>/node` to `src/node.ts`, so tests
 * never need a prior build. The patterns are anchored regexes, so `@nextnets/x` does not swallow `@nextnets/x/node`.
 */
export function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', dir, 'src');
    if (existsSync(join(src, 'node.ts'))) aliases.push({ find: new RegExp(`^@nextnets/${dir}/node$`), replacement: join(src, 'node.ts') });
    if (existsSync(join(src, 'index.ts'))) aliases.push({ find: new RegExp(`^@nextnets/${dir}$`), replacement: join(src, 'index.ts') });
  }
  return aliases;
}

/** Absolute path of the shared reference fixtures (`../shared/fixtures` beside the repository). */
export const fixturesDir = join(root, '..', 'shared', 'fixtures');
