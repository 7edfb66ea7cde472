import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { setupBackend } from '@nextnets/backend';
import { readNpy } from '@nextnets/core-layers/node';
import { extraFixturesDir } from '@nextnets/test-fixtures';

/** The large timm fixtures (optional extra suite), or undefined with a one-line note. */
export const extraDir = extraFixturesDir('models-convnext: full-size timm models');

/** wasm is the product's default backend; every test runs on it. */
export async function useWasm(): Promise<void> {
  await setupBackend('wasm');
}

/** A file of a large timm fixture; only called inside suites skipped when `extraDir` is undefined. */
export function fixturePath(model: string, file: string): string {
  if (!extraDir) throw new Error('extra fixtures are not available');
  return join(extraDir, model, file);
}

/** A fixture .npy as a tensor (NCHW as stored). */
export function loadNpy(model: string, file: string): tf.Tensor {
  const arr = readNpy(fixturePath(model, file));
  return tf.tensor(arr.data as Float32Array, [...arr.shape]);
}

export { relErr } from '@nextnets/test-fixtures';

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

/** Mean softmax cross-entropy of logits [N, K] against integer labels. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, tf.oneHot(labels, numClasses)), -1))) as tf.Scalar;
  });
}

/**
 * A minimal AdamW (decoupled weight decay, bias-corrected moments) over a model's named parameters, skipping decay
 * where `noDecay(name)` — enough to check that models train. Moment slots are allocated up front.
 */
export class TinyAdamW {
  private readonly slots = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private t = 0;

  constructor(
    private readonly params: Array<[string, tf.Variable]>,
    private readonly noDecay: (name: string) => boolean,
    private readonly lr = 2e-3,
    private readonly weightDecay = 0.05,
  ) {
    for (const [name, p] of params) this.slots.set(name, { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) });
  }

  step(grads: Record<string, tf.Tensor>): void {
    this.t += 1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const { m, v } = this.slots.get(name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        const decayed = this.noDecay(name) ? p : tf.mul(p, 1 - this.lr * this.weightDecay);
        p.assign(tf.sub(decayed, tf.mul(update, this.lr)));
      }
    });
  }

  dispose(): void {
    for (const { m, v } of this.slots.values()) {
      m.dispose();
      v.dispose();
    }
  }
}
