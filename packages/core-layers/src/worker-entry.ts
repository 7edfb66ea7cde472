import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface WorkerEntryOptions {
  /** Data for the worker's `workerData`. */
  workerData: unknown;
  /** From source, also resolve `@nextnets/*` imports inside the worker to TypeScript source (the caller's view). */
  sourceConditions?: boolean;
  /** Message when TypeScript source needs `tsx` and it cannot be found. */
  missingTsx: string;
}

/** File URL of tsx's ESM register API (the `import` condition of its `./esm/api` export). */
function tsxEsmApi(from: string, missingTsx: string): string {
  try {
    const manifestPath = createRequire(from).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
    return pathToFileURL(join(dirname(manifestPath), manifest.exports['./esm/api'].import.default)).href;
  } catch {
    throw new Error(missingTsx);
  }
}

/**
 * Starts the worker entry `name` that sits beside the calling module (`callerUrl` = its `import.meta.url`): from a
 * build, `name.js` / `name.cjs`; from TypeScript source (vitest, tsx), an eval'd bootstrap registers tsx's ESM hooks
 * inside the thread and then imports `name.ts`.
 */
export function startWorkerEntry(callerUrl: string, name: string, options: WorkerEntryOptions): Worker {
  // workers inherit the parent's flags; `--input-type` (from `node -e`) is invalid for a file or eval'd bootstrap
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  const { workerData } = options;
  if (!callerUrl.endsWith('.ts')) {
    return new Worker(new URL(`./${name}${callerUrl.endsWith('.cjs') ? '.cjs' : '.js'}`, callerUrl), { workerData, execArgv });
  }
  const tsxApi = tsxEsmApi(callerUrl, options.missingTsx);
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  const wantsSource = options.sourceConditions && !execArgv.some((arg) => arg.includes('@nextnets/source'));
  return new Worker(bootstrap, { eval: true, workerData, execArgv: wantsSource ? [...execArgv, '--conditions=@nextnets/source'] : execArgv });
}
