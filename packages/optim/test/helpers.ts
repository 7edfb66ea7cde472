import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { NamedParam } from '../src/index';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Passes when |a − b| ≤ tol·max(1, |b|): relative for large values, absolute for tiny ones. */
export function maxViolation(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, err / tol);
  }
  return worst;
}

export function makeParam(name: string, shape: number[], values: number[]): NamedParam {
  return { name, variable: tf.variable(tf.tensor(values, shape, 'float32'), true) };
}

export function disposeParams(params: NamedParam[]): void {
  for (const p of params) p.variable.dispose();
}
