/** Throughput of one model: training steps (forward, loss, backward, AdamW) and inference, warm-up then median. */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '@nextnets/optim';
import { reparameterize } from '@nextnets/models-rep';
import { buildModel } from '../model/build.js';
import { namedParams } from '../train/optimizer.js';
import { trainStep } from '../train/step.js';

export interface BenchCase {
  model: string;
  size: number;
  batch: number;
  /** Measure the reparameterized (deploy) form: inference only. */
  reparameterized?: boolean;
}

export interface BenchResult extends BenchCase {
  trainImgPerSec: number | null;
  inferImgPerSec: number;
  /** Peak resident set size of the process so far, MiB. */
  peakRssMiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeIt(fn: () => void, warmup: number, steps: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times) / 1000;
}

export function measure(c: BenchCase, warmup: number, steps: number, numClasses = 10): BenchResult {
  const model = buildModel(c.model, { numClasses });
  const images = tf.randomNormal([c.batch, c.size, c.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % numClasses), 'int32') as tf.Tensor1D;
  try {
    let trainImgPerSec: number | null = null;
    if (!c.reparameterized) {
      const params = namedParams(model);
      const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
      model.train();
      const loss = { smoothing: 0, l2WeightDecay: 0, noDecay: (name: string) => model.noWeightDecay(name) };
      const seconds = timeIt(() => trainStep(model, params, optimizer, { images, labels }, 1e-3, loss), warmup, steps);
      trainImgPerSec = c.batch / seconds;
      optimizer.dispose();
    }
    model.eval();
    if (c.reparameterized) reparameterize(model);
    const seconds = timeIt(() => tf.tidy(() => model.forward(images)).dataSync(), warmup, steps);
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    return { ...c, trainImgPerSec, inferImgPerSec: c.batch / seconds, peakRssMiB };
  } finally {
    tf.dispose([images, labels]);
    model.dispose();
  }
}
