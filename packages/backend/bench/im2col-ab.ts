/**
 * Paired A/B of @nextnets/backend-native's im2col convolutions inside whole training steps: one model, one AdamW,
 * training steps alternating between `useNativeGemm({ threads: 1 })` and the same with `im2colConv: false` (order
 * swapped every pair), wall and process-CPU ms per step. On a shared machine whose speed drifts between runs by more
 * than the effect, the median of the paired differences is the robust number. Prints one JSON line. Run from
 * packages/backend: `pnpm bench:im2col-ab [--model tf_efficientnetv2_b0] [--size 224] [--batch 16] [--pairs 8] [--warmup 2]`.
 */
import * as tf from '@tensorflow/tfjs-core';
// Relative source imports, as in convnext-atto.ts (a workspace dependency on the model packages would be a cycle).
import { useNativeGemm } from '../../backend-native/src/index';
import { valueAndGrads } from '../../core-layers/src/index';
import { AdamW, crossEntropy } from '../../optim/src/index';
import { setupBackend } from '../src/index';
import { benchFixture, median, parsePairedArgs } from './fixture';

async function main(): Promise<void> {
  const opts = parsePairedArgs(process.argv.slice(2), { model: 'tf_efficientnetv2_b0', size: 224, batch: 16, pairs: 8, warmup: 2 });
  await setupBackend('wasm');
  if (!useNativeGemm({ threads: 1 })) throw new Error('@nextnets/backend-native is not built');
  const { model, x, labels, params } = benchFixture(opts.model, opts.batch, opts.size);
  const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
  model.train();
  const step = (im2colConv: boolean): { wall: number; cpu: number } => {
    useNativeGemm({ threads: 1, im2colConv });
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels));
      optimizer.step(grads);
      value.dataSync();
    });
    const used = process.cpuUsage(cpuStart);
    return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
  };
  for (let i = 0; i < opts.warmup; i++) [true, false].forEach(step);
  const on: Array<{ wall: number; cpu: number }> = [];
  const off: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < opts.pairs; i++) {
    if (i % 2 === 0) {
      off.push(step(false));
      on.push(step(true));
    } else {
      on.push(step(true));
      off.push(step(false));
    }
  }
  const ms = (runs: Array<{ wall: number; cpu: number }>, key: 'wall' | 'cpu') => median(runs.map((r) => r[key]));
  const saving = (key: 'wall' | 'cpu') => median(off.map((r, i) => r[key] - on[i][key]));
  console.log(
    JSON.stringify({
      model: opts.model,
      size: opts.size,
      batch: opts.batch,
      pairs: opts.pairs,
      im2col_wall_ms: +ms(on, 'wall').toFixed(1),
      without_wall_ms: +ms(off, 'wall').toFixed(1),
      median_paired_saving_wall_ms: +saving('wall').toFixed(1),
      im2col_cpu_ms: +ms(on, 'cpu').toFixed(1),
      without_cpu_ms: +ms(off, 'cpu').toFixed(1),
      median_paired_saving_cpu_ms: +saving('cpu').toFixed(1),
      im2col_train_cpu_img_s: +(opts.batch / (ms(on, 'cpu') / 1000)).toFixed(1),
      without_train_cpu_img_s: +(opts.batch / (ms(off, 'cpu') / 1000)).toFixed(1),
      load_avg: +(await import('node:os')).loadavg()[0].toFixed(1),
    }),
  );
  optimizer.dispose();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
