import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Maps every `@nextnets/<pkg>` import to its TypeScript source, so tests never need a prior build. */
export function workspaceAliases(): { find: string; replacement: string }[] {
  const dirs = readdirSync(join(root, 'packages')).filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')));
  // `@nextnets/<pkg>/node` subpath entries first: the first matching alias wins and `@nextnets/<pkg>` also matches them
  const node = dirs
    .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'node.ts')))
    .map((dir) => ({ find: `@nextnets/${dir}/node`, replacement: join(root, 'packages', dir, 'src', 'node.ts') }));
  return [...node, ...dirs.map((dir) => ({ find: `@nextnets/${dir}`, replacement: join(root, 'packages', dir, 'src', 'index.ts') }))];
}
