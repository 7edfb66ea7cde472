import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { setupBackend } from '@nextnets/backend';
import { readNpy, readSafetensors } from '../../core-layers/src/io/index';

export const fixturesDir = fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));

/** wasm is the product's default backend; every test runs on it. */
export async function useWasm(): Promise<void> {
  await setupBackend('wasm');
}

export function fixturePath(model: string, file: string): string {
  return join(fixturesDir, model, file);
}

export function loadFixtureTensors(model: string): Map<string, { shape: number[]; data: Float32Array }> {
  const path = fixturePath(model, 'weights.safetensors');
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, t] of readSafetensors(path).tensors) out.set(key, { shape: [...t.shape], data: t.data as Float32Array });
  return out;
}

/** A fixture .npy as a tensor (NCHW as stored). */
export function loadNpy(model: string, file: string): tf.Tensor {
  const arr = readNpy(fixturePath(model, file));
  return tf.tensor(arr.data as Float32Array, [...arr.shape]);
}

/** max|a − b| / max|b|. */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

/** Deterministic zero-mean values (sum of four uniforms − 2, variance 1/3) from a seed, for inputs and directions. */
export function seededNormal(shape: number[], seed: number): tf.Tensor {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Float32Array(shape.reduce((p, q) => p * q, 1));
  for (let i = 0; i < data.length; i++) data[i] = next() + next() + next() + next() - 2;
  return tf.tensor(data, shape);
}
