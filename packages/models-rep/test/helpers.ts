import { beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { BatchNorm2d, Rng, type Module } from '@nextnets/core-layers';
import { extraFixturesDir } from '@nextnets/test-fixtures';

/** The large timm fixtures (optional extra suite), or undefined with a one-line note. */
export const extraDir = extraFixturesDir('models-rep: full-size repvgg_a0');

/** Runs the file's tests on the wasm backend (the product default). */
export function useWasm(): void {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
}

export { relMaxDiff } from '@nextnets/test-fixtures';

/** Runs `fn` in a tidy scope and returns the result's values. */
export function values(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

/** Gives every BatchNorm non-trivial statistics and affine params (as the fixtures do), so fusion is really tested. */
export function randomizeBatchNorms(model: Module, seed = 7): void {
  const rng = new Rng(seed);
  const fill = (v: tf.Variable, f: () => number) =>
    tf.tidy(() => v.assign(tf.tensor(Float32Array.from({ length: v.size }, f), v.shape)));
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    fill(m.weight, () => 0.5 + rng.uniform());
    fill(m.bias, () => 0.1 * rng.normal());
    fill(m.runningMean, () => 0.1 * rng.normal());
    fill(m.runningVar, () => 0.5 + rng.uniform());
  }
}

/** A seeded N(0, 1) NHWC batch. */
export function randomInput(shape: [number, number, number, number], seed = 3): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}
