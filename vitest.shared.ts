import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Maps every `@nextnets/<pkg>` import to its TypeScript source, so tests never need a prior build. */
export function workspaceAliases(): { find: string | RegExp; replacement: string }[] {
  const dirs = readdirSync(join(root, 'packages')).filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')));
  // `@nextnets/<pkg>/node` (Node-only subpath entries) first: a plain string alias would also match it as a prefix
  const node = dirs
    .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'node.ts')))
    .map((dir) => ({ find: new RegExp(`^@nextnets/${dir}/node$`), replacement: join(root, 'packages', dir, 'src', 'node.ts') }));
  return [...node, ...dirs.map((dir) => ({ find: `@nextnets/${dir}`, replacement: join(root, 'packages', dir, 'src', 'index.ts') }))];
}

/** Absolute path of the shared reference fixtures (`../shared/fixtures` beside the repository). */
export const fixturesDir = join(root, '..', 'shared', 'fixtures');
