import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Maps every `@nextnets/<pkg>` import to its TypeScript source, so tests never need a prior build. */
export function workspaceAliases(): { find: string | RegExp; replacement: string }[] {
  const dirs = readdirSync(join(root, 'packages')).filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')));
  // subpath entries (`@nextnets/<pkg>/node`, `@nextnets/backend/kernel-names`) → src/<subpath>.ts, first: a plain
  // string alias would also match them as a prefix
  const subpaths = dirs.map((dir) => ({ find: new RegExp(`^@nextnets/${dir}/([\\w-]+)$`), replacement: join(root, 'packages', dir, 'src', '$1.ts') }));
  return [...subpaths, ...dirs.map((dir) => ({ find: `@nextnets/${dir}`, replacement: join(root, 'packages', dir, 'src', 'index.ts') }))];
}
