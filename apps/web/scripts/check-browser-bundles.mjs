#!/usr/bin/env node
// Bundles the main entry of every browser-facing nextnets package with esbuild for `--platform=browser` (from
// TypeScript source, through the `@nextnets/source` export condition) and fails when a bundle cannot be built or
// reaches a Node built-in (`node:*`, `fs`, `worker_threads`, ...) or `sharp`. Node-only code lives behind the
// packages' `/node` subpath exports, which are not checked here.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BROWSER_PACKAGES = [
  'core-layers',
  'backend',
  'optim',
  'data-augment',
  'fcmae',
  'models-convnext',
  'models-rep',
  'models-efficient',
  'train',
  'hub',
  'onnx',
  'models-roadmap',
];

const nodeOnly = new Set([...builtinModules, 'sharp']);

/**
 * The file a browser bundler loads for `resolved`: a package's object-form `browser` field may remap the very file
 * its `exports` pick (`@huggingface/hub` maps `./dist/index.mjs` to `./dist/browser/index.mjs`). Vite applies that
 * mapping to a package's entry; esbuild does not when the entry comes from `exports`, so the check applies it here.
 */
function browserMapped(resolved) {
  for (let dir = dirname(resolved); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { browser } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (browser === null || typeof browser !== 'object') return undefined;
    const target = browser[`./${relative(dir, resolved).split('\\').join('/')}`];
    return typeof target === 'string' ? join(dir, target) : undefined;
  }
  return undefined;
}

const isNodeOnly = (spec) => spec.startsWith('node:') || nodeOnly.has(spec.split('/')[0]);

/** Resolves to a list of one-line problems (empty when the entry bundles cleanly for browsers). */
async function check(pkg) {
  const entry = join(root, 'packages', pkg, 'src', 'index.ts');
  const problems = [];
  const guard = {
    name: 'no-node-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || args.pluginData?.browserMapping) return undefined;
        if (!isNodeOnly(args.path)) return undefined;
        // third-party code is left to esbuild, which honours a package's `browser` field (seedrandom and
        // tfjs-backend-wasm map crypto/fs/path to false) and fails on any built-in left unstubbed
        if (args.importer.includes('node_modules')) return undefined;
        problems.push(`@nextnets/${pkg}: ${relative(root, args.importer)} imports '${args.path}'`);
        return { path: args.path, external: true };
      });
      // bare package imports: apply the package's `browser` remapping to the file its `exports` resolve to
      b.onResolve({ filter: /^(@[^./][^/]*\/)?[^./@][^/]*(\/.*)?$/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData?.browserMapping || isNodeOnly(args.path)) return undefined;
        const result = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { browserMapping: true } });
        if (result.errors.length > 0 || result.external || !result.path) return undefined;
        const mapped = browserMapped(result.path);
        return mapped === undefined ? undefined : { path: mapped };
      });
    },
  };
  try {
    await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@nextnets/source'],
      logLevel: 'silent',
      plugins: [guard],
    });
  } catch (err) {
    for (const e of err.errors ?? [{ text: String(err) }]) {
      problems.push(`@nextnets/${pkg}: ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    }
  }
  return problems;
}

const problems = [];
for (const pkg of BROWSER_PACKAGES) {
  const found = await check(pkg);
  problems.push(...found);
  console.log(`${found.length === 0 ? 'ok  ' : 'FAIL'} @nextnets/${pkg} (esbuild --platform=browser)`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
