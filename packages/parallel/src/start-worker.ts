import type { Worker } from 'node:worker_threads';
import { startWorkerEntry } from '@nextnets/core-layers/node';
import type { WorkerInit } from './protocol';

/**
 * Starts a replica thread on `worker.{js,cjs}` beside this module, or from source on `worker.ts` with `@nextnets/*`
 * resolved to source like the caller (vitest, tsx).
 */
export function startReplicaWorker(init: WorkerInit): Worker {
  return startWorkerEntry(import.meta.url, 'worker', {
    workerData: init,
    sourceConditions: true,
    missingTsx: 'DataParallel: replicas started from TypeScript source need the `tsx` package',
  });
}
