import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Maps every `@nextnets/<pkg>` import to its TypeScript source, so tests never need a prior build. */
export function workspaceAliases(): { find: string | RegExp; replacement: string }[] {
  const dirs = readdirSync(join(root, 'packages')).filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')));
  // `/node` subpath entries first: a plain alias would also rewrite `@nextnets/<pkg>/node` to `<pkg>/src/index.ts/node`.
  const nodeEntries = dirs
    .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'node.ts')))
    .map((dir) => ({ find: new RegExp(`^@nextnets/${dir}/node$`), replacement: join(root, 'packages', dir, 'src', 'node.ts') }));
  return [...nodeEntries, ...dirs.map((dir) => ({ find: `@nextnets/${dir}`, replacement: join(root, 'packages', dir, 'src', 'index.ts') }))];
}
