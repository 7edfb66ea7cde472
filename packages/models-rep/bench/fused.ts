/**
 * Inference throughput of the train-time (multi-branch) form vs the reparameterized (deploy) form, on wasm.
 * Usage: pnpm bench [-- --batch 16 --size 64 --iters 10]. Prints one JSON object.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { createModel, reparameterize, type RepLKNetConfig } from '../src/index.js';
import type { ImageClassifier, ModelOverrides } from '@nextnets/core-layers';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const batch = arg('batch', 16);
const size = arg('size', 64);
const iters = arg('iters', 10);

/** Images per second of eval-mode forward passes (after 2 warm-up passes). */
function throughput(model: ImageClassifier, x: tf.Tensor): number {
  const run = () => tf.tidy(() => model.forward(x).dataSync());
  run();
  run();
  const start = performance.now();
  for (let i = 0; i < iters; i++) run();
  const seconds = (performance.now() - start) / 1000;
  return (iters * batch) / seconds;
}

function compare(name: string, overrides: ModelOverrides) {
  const model = createModel(name, { numClasses: 1000, ...overrides }).eval();
  const x = tf.randomNormal([batch, size, size, 3]);
  const trainParams = model.numParams();
  const trainForm = throughput(model, x);
  reparameterize(model);
  const deployForm = throughput(model, x);
  const result = {
    model: name,
    overrides,
    params: { train: trainParams, deploy: model.numParams() },
    imgPerSec: { train: round(trainForm), deploy: round(deployForm) },
    speedup: round(deployForm / trainForm),
  };
  x.dispose();
  model.dispose();
  return result;
}

const round = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  const backend = await setupBackend('wasm');
  const tinyRepLK: Partial<RepLKNetConfig> = { channels: [32, 64, 128, 256], depths: [1, 1, 2, 1], dropPathRate: 0 };
  const results = [compare('repvgg_a0', {}), compare('replknet_31b', tinyRepLK)];
  console.log(JSON.stringify({ backend, batch, size, iters, results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
