/** Throughput of one model: training steps (forward, loss, backward, AdamW) and inference, warm-up then median. */
import * as tf from '@tensorflow/tfjs-core';
import { nativeGemmKernel, nativeGemmThreads } from '@nextnets/backend-native';
import { AdamW } from '@nextnets/optim';
import { reparameterize } from '@nextnets/models-rep';
import { buildModel } from '../model/build.js';
import { startReplicas } from '../train/replicas.js';
import { namedParams } from '../train/optimizer.js';
import { parallelTrainStep, trainStep } from '../train/step.js';

export interface BenchCase {
  model: string;
  size: number;
  batch: number;
  /** Measure the reparameterized (deploy) form: inference only. */
  reparameterized?: boolean;
  /** Inference only (`name:infer`): for models too slow to train in a benchmark on a small machine. */
  inferenceOnly?: boolean;
}

/** A case's model spec as `--models` and the timm peer write it: `name`, `name:reparam` or `name:infer`. */
export function caseSpec(c: BenchCase): string {
  return `${c.model}${c.reparameterized ? ':reparam' : c.inferenceOnly ? ':infer' : ''}`;
}

/** `name[:reparam|:infer]` → the case's model and mode (other suffixes are one-line errors). */
export function parseCaseSpec(spec: string): Pick<BenchCase, 'model' | 'reparameterized' | 'inferenceOnly'> {
  const [model, mode, extra] = spec.trim().split(':');
  if (extra !== undefined || (mode !== undefined && mode !== 'reparam' && mode !== 'infer')) {
    throw new Error(`--models: '${spec}' must be NAME, NAME:reparam or NAME:infer`);
  }
  return { model, reparameterized: mode === 'reparam', inferenceOnly: mode === 'infer' };
}

export interface BenchResult extends BenchCase {
  /** What ran it: the tfjs backend name, or 'onnxruntime'. */
  engine?: string;
  /** Data-parallel replicas (worker threads + the main thread) the case ran on. */
  replicas: number;
  /** Who computed the wasm backend's matrix products: `AVX-512 ×threads` or `OpenBLAS ×threads` (@nextnets/backend-native), or `wasm`. */
  gemm?: string;
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

export async function timeIt(fn: () => unknown, warmup: number, steps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times) / 1000;
}

/** Measures one case on `replicas` data-parallel replicas (1 = the main thread only). */
export async function measure(c: BenchCase, warmup: number, steps: number, replicas = 1, numClasses = 10): Promise<BenchResult> {
  const model = buildModel(c.model, { numClasses });
  const images = tf.randomNormal([c.batch, c.size, c.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % numClasses), 'int32') as tf.Tensor1D;
  if (c.reparameterized) reparameterize(model.eval());
  const parallel = await startReplicas(model, replicas, { name: c.model, args: { numClasses }, reparameterized: c.reparameterized });
  try {
    let trainImgPerSec: number | null = null;
    if (!c.reparameterized && !c.inferenceOnly) {
      const params = namedParams(model);
      const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
      model.train();
      const loss = { smoothing: 0, l2WeightDecay: 0, noDecay: (name: string) => model.noWeightDecay(name) };
      const batch = { images, labels };
      const step = parallel
        ? () => parallelTrainStep(parallel, params, optimizer, batch, 1e-3, loss, undefined, 0)
        : () => trainStep(model, params, optimizer, batch, 1e-3, loss);
      trainImgPerSec = c.batch / (await timeIt(step, warmup, steps));
      optimizer.dispose();
    }
    model.eval();
    const infer = async () => {
      const logits = parallel ? await parallel.predict(images) : tf.tidy(() => model.forward(images) as tf.Tensor2D);
      logits.dataSync();
      logits.dispose();
    };
    const seconds = await timeIt(infer, warmup, steps);
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const threads = nativeGemmThreads();
    const kernel = nativeGemmKernel();
    const gemm = tf.getBackend() !== 'wasm' ? undefined : kernel ? `${kernel} ×${threads}` : 'wasm';
    return { ...c, replicas: parallel?.replicas ?? 1, gemm, trainImgPerSec, inferImgPerSec: c.batch / seconds, peakRssMiB };
  } finally {
    await parallel?.dispose();
    tf.dispose([images, labels]);
    model.dispose();
  }
}
