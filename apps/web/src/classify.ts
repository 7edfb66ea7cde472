/** Inference: logits, softmax top-k, timing. */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassifier } from '@nextnets/core-layers';

export interface Prediction {
  /** Logits [N, classes]. */
  logits: Float32Array[];
  /** Softmax top-k per input: class index and probability. */
  top: { index: number; prob: number }[][];
  /** Wall time of the forward pass and read-back, per input. */
  msPerImage: number;
}

/** Runs the model on an NHWC batch (which the caller keeps) and reads the logits back. */
export async function predict(model: ImageClassifier, x: tf.Tensor4D, k = 5): Promise<Prediction> {
  const start = performance.now();
  const logitsT = tf.tidy(() => model.forward(x));
  const flat = (await logitsT.data()) as Float32Array;
  const msPerImage = (performance.now() - start) / x.shape[0];
  const [n, c] = logitsT.shape;
  logitsT.dispose();
  const logits = Array.from({ length: n }, (_, i) => flat.slice(i * c, (i + 1) * c));
  return { logits, top: logits.map((row) => topK(softmax(row), k)), msPerImage };
}

export function softmax(row: Float32Array): Float32Array {
  const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
  const e = row.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function topK(probs: Float32Array, k: number): { index: number; prob: number }[] {
  return [...probs].map((prob, index) => ({ index, prob })).sort((a, b) => b.prob - a.prob).slice(0, k);
}

/** Images per second of forward passes on a batch (after one warm-up pass), for the backend readout. */
export async function measureThroughput(model: ImageClassifier, x: tf.Tensor4D, minMs = 1000): Promise<number> {
  const run = async () => {
    const y = tf.tidy(() => model.forward(x));
    await y.data();
    y.dispose();
  };
  await run();
  let images = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || images === 0) {
    await run();
    images += x.shape[0];
  }
  return (images * 1000) / (performance.now() - start);
}
