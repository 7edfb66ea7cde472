import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './protocol';

/** File URL of tsx's ESM register API (the `import` condition of its `./esm/api` export). */
function tsxEsmApi(from: string): string {
  try {
    const manifestPath = createRequire(from).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
    return pathToFileURL(join(dirname(manifestPath), manifest.exports['./esm/api'].import.default)).href;
  } catch {
    throw new Error('DataParallel: replicas started from TypeScript source need the `tsx` package');
  }
}

/**
 * Starts the replica entry beside this module: from dist, `worker.js`/`worker.cjs`; from source (vitest, tsx), a
 * bootstrap registers tsx inside the thread, resolves `@nextnets/*` to source like the caller, and imports worker.ts.
 */
export function startReplicaWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  // workers inherit the parent's flags; `--input-type` (from `node -e`) is invalid for a file or eval'd bootstrap
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  if (!here.endsWith('.ts')) {
    return new Worker(new URL(here.endsWith('.cjs') ? './worker.cjs' : './worker.js', here), { workerData: init, execArgv });
  }
  const tsxApi = tsxEsmApi(here);
  const entry = new URL('./worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  const sourceArgv = execArgv.some((a) => a.includes('@nextnets/source')) ? execArgv : [...execArgv, '--conditions=@nextnets/source'];
  return new Worker(bootstrap, { eval: true, workerData: init, execArgv: sourceArgv });
}
