/**
 * Paired A/B of the fused AdamW kernel inside whole training steps: one model, two AdamW instances over the same
 * parameters (fused, and `fused: false` = the composite ops), training steps alternating between them (order swapped
 * every pair), process-CPU ms per step. On a shared machine whose speed drifts between runs by more than the effect,
 * the median of the paired differences is the robust number. Prints one JSON line. Run from packages/backend:
 * `pnpm bench:adamw-ab [--model convnext_atto] [--size 32] [--batch 64] [--pairs 16] [--warmup 3]`.
 */
import * as tf from '@tensorflow/tfjs-core';
// Relative source imports, as in convnext-atto.ts (a workspace dependency on the model packages would be a cycle).
import { valueAndGrads } from '../../core-layers/src/index';
import { AdamW, crossEntropy } from '../../optim/src/index';
import { setupBackend } from '../src/index';
import { benchFixture, median, parsePairedArgs } from './fixture';

async function main(): Promise<void> {
  const opts = parsePairedArgs(process.argv.slice(2), { model: 'convnext_atto', size: 32, batch: 64, pairs: 16, warmup: 3 });
  await setupBackend('wasm');
  const { model, x, labels, params } = benchFixture(opts.model, opts.batch, opts.size);
  const fused = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
  const composite = new AdamW(params, { lr: 1e-3, weightDecay: 0.05, fused: false });
  if (!fused.fusedKernelAvailable()) throw new Error('the fused AdamW kernel is not registered (NEXTNETS_WASM_FAST=0?)');
  model.train();
  const step = (optimizer: AdamW): number => {
    const start = process.cpuUsage();
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels));
      optimizer.step(grads);
      value.dataSync();
    });
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  for (let i = 0; i < opts.warmup; i++) [fused, composite].forEach(step);
  const fusedMs: number[] = [];
  const compositeMs: number[] = [];
  for (let i = 0; i < opts.pairs; i++) {
    if (i % 2 === 0) {
      compositeMs.push(step(composite));
      fusedMs.push(step(fused));
    } else {
      fusedMs.push(step(fused));
      compositeMs.push(step(composite));
    }
  }
  const a = median(fusedMs);
  const b = median(compositeMs);
  console.log(
    JSON.stringify({
      model: opts.model,
      size: opts.size,
      batch: opts.batch,
      pairs: opts.pairs,
      fused_cpu_ms: +a.toFixed(1),
      composite_cpu_ms: +b.toFixed(1),
      median_paired_saving_ms: +median(compositeMs.map((t, i) => t - fusedMs[i])).toFixed(1),
      fused_train_cpu_img_s: +(opts.batch / (a / 1000)).toFixed(1),
      composite_train_cpu_img_s: +(opts.batch / (b / 1000)).toFixed(1),
      load_avg: +(await import('node:os')).loadavg()[0].toFixed(1),
    }),
  );
  fused.dispose();
  composite.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
