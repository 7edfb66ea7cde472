import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** Maps every `@nextnets/<pkg>` import to its TypeScript source, so tests never need a prior build. */
export function workspaceAliases(): { find: string; replacement: string }[] {
  return readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')))
    .map((dir) => ({ find: `@nextnets/${dir}`, replacement: join(root, 'packages', dir, 'src', 'index.ts') }));
}
