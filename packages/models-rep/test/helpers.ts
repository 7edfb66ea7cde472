import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';

export const fixturesDir = fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));

/** Runs the file's tests on the wasm backend (the product default). */
export function useWasm(): void {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
}

/** max|a − b| / max|b|. */
export function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return diff / ref;
}

/** Runs `fn` in a tidy scope and returns the result's values. */
export function values(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}
