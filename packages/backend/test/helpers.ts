import * as tf from '@tensorflow/tfjs-core';

/** Deterministic uniform(-1, 1) generator (mulberry32) so every failure is reproducible. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomValues(rng: () => number, shape: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng();
  return out;
}

/** Runs `fn` with the given backend active and returns its result as a plain Float32Array. */
export async function runOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = tf.tidy(() => {
    const out = fn();
    if (Array.isArray(out)) throw new Error('runOn expects a single tensor');
    return out;
  });
  const values = Float32Array.from(result.dataSync());
  result.dispose();
  return values;
}

/** max |a - b| divided by max(1, max |b|): an absolute error for small values, a relative one for large. */
export function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
