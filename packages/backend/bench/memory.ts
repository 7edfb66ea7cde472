/**
 * Where the memory of a training step goes on the wasm backend: resident set after loading the backend and after
 * building the model, the wasm heap's size after each step, and the peak of the bytes tfjs tracks during a step
 * (`tf.memory().numBytes`, sampled after every kernel; it counts some shared buffers twice, so it can exceed the heap),
 * and the milliseconds of each step.
 * Prints one JSON line. Run from packages/backend:
 * `pnpm bench:memory [--model convnext_atto] [--size 224] [--batch 16] [--steps 2] [--tfjs-grads] [--attribute]`;
 * `--attribute` adds which kernels saved the tensors alive at the peak (slow: the step times are then meaningless);
 * `--tfjs-grads` differentiates with `tf.variableGrads` instead of @nextnets/core-layers' `valueAndGrads` (A/B).
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads } from '../../core-layers/src/index';
import { AdamW, crossEntropy } from '../../optim/src/index';
import { setupBackend } from '../src/index';
import { benchFixture } from './fixture';
// Registers the EfficientNet family with the shared model registry (benchFixture builds models by name).
import '../../models-efficient/src/index';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const MiB = 1024 * 1024;
const mb = (bytes: number): number => Math.round(bytes / MiB);
const rss = (): number => mb(process.memoryUsage().rss);
/** Entries of at least 1 MiB, largest first, in MiB. */
const bySize = (bytes: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(bytes)
      .filter(([, b]) => b >= MiB)
      .sort((a, b) => b[1] - a[1])
      .map(([k, b]) => [k, mb(b)]),
  );

interface TapeNode {
  kernelName: string;
  saved?: tf.Tensor[];
}
interface EngineView {
  state: { numBytes: number; activeTape: TapeNode[] | null; scopeStack: Array<{ name: string; track: tf.Tensor[] }> };
  runKernelFunc(params: unknown): unknown;
}

async function main(): Promise<void> {
  const model = flag('--model', 'convnext_atto');
  const size = Number(flag('--size', '224'));
  const batch = Number(flag('--batch', '16'));
  const steps = Number(flag('--steps', '2'));
  const tfjsGrads = args.includes('--tfjs-grads');
  const attribute = args.includes('--attribute');
  await setupBackend('wasm');
  const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  const rssBackend = rss();
  const heapBackend = mb(heap());
  const fx = benchFixture(model, batch, size);
  const optimizer = new AdamW(fx.params, { lr: 1e-3, weightDecay: 0.05 });
  const rssModel = rss();
  const paramBytes = fx.params.reduce((s, p) => s + p.variable.size * 4, 0);

  const engine = tf.engine() as unknown as EngineView;
  const run = engine.runKernelFunc.bind(engine);
  let peak = 0;
  let savedAtPeak = 0;
  let unsavedAtPeak: Record<string, number> = {};
  let savedBy: Record<string, number> = {};
  let phase = '';
  let phaseAtPeak = '';
  // where the wasm heap grew during the step: phase (kernel) → MiB
  let growth: Array<[string, number]> = [];
  let lastHeap = 0;
  engine.runKernelFunc = (params: unknown) => {
    const out = run(params);
    const h = heap();
    if (h > lastHeap) {
      growth.push([`${phase} (${(params as { kernelName?: string }).kernelName ?? 'custom gradient'})`, mb(h)]);
      lastHeap = h;
    }
    if (engine.state.numBytes > peak) {
      peak = engine.state.numBytes;
      phaseAtPeak = `${phase} (${(params as { kernelName?: string }).kernelName ?? 'custom gradient'})`;
      if (!attribute) return out;
      const seen = new Set<unknown>();
      // dataId → the kernels whose tape nodes saved it, and its bytes
      const savers = new Map<unknown, { kernels: Set<string>; bytes: number }>();
      savedAtPeak = 0;
      for (const node of engine.state.activeTape ?? []) {
        for (const t of node.saved ?? []) {
          if (t.isDisposed) continue;
          const entry = savers.get(t.dataId) ?? { kernels: new Set<string>(), bytes: t.size * 4 };
          entry.kernels.add(node.kernelName);
          savers.set(t.dataId, entry);
          if (seen.has(t.dataId)) continue;
          seen.add(t.dataId);
          savedAtPeak += t.size * 4;
        }
      }
      savedBy = {};
      for (const { kernels, bytes } of savers.values()) {
        const key = [...kernels].sort().join('+');
        savedBy[key] = (savedBy[key] ?? 0) + bytes;
      }
      // Live tensors of the open tidy scopes that no tape node saved, by scope name and shape.
      unsavedAtPeak = {};
      for (const scope of engine.state.scopeStack) {
        for (const t of scope.track) {
          if (t.isDisposed || seen.has(t.dataId)) continue;
          seen.add(t.dataId);
          const key = `${scope.name}:[${t.shape}]`;
          unsavedAtPeak[key] = (unsavedAtPeak[key] ?? 0) + t.size * 4;
        }
      }
    }
    return out;
  };

  const stepsOut: Array<Record<string, unknown>> = [];
  fx.model.train();
  for (let s = 0; s < steps; s++) {
    const before = tf.memory();
    peak = 0;
    growth = [];
    const start = performance.now();
    tf.tidy(() => {
      phase = 'forward';
      const loss = (): tf.Scalar => {
        const l = crossEntropy(fx.model.forward(fx.x), fx.labels);
        phase = 'backward';
        return l;
      };
      const { value, grads } = tfjsGrads
        ? (() => {
            const named = fx.model.namedParameters();
            const r = tf.variableGrads(loss, named.map(([, p]) => p.variable));
            return { value: r.value, grads: Object.fromEntries(named.map(([n, p]) => [n, r.grads[p.variable.name]])) };
          })()
        : valueAndGrads(fx.model, loss);
      phase = 'optimizer';
      optimizer.step(grads);
      value.dataSync();
    });
    stepsOut.push({
      step: s,
      ms: Math.round(performance.now() - start),
      tracked_before_mb: mb(before.numBytes),
      tracked_peak_mb: mb(peak),
      ...(attribute
        ? {
            saved_at_peak_mb: mb(savedAtPeak),
            saved_by_kernels_mb: bySize(savedBy),
            unsaved_at_peak_mb: bySize(unsavedAtPeak),
          }
        : {}),
      peak_in: phaseAtPeak,
      heap_growth: growth.slice(-6),
      heap_mb: mb(heap()),
      rss_mb: rss(),
      tensors_delta: tf.memory().numTensors - before.numTensors,
    });
  }
  console.log(
    JSON.stringify({
      model,
      size,
      batch,
      grads: tfjsGrads ? 'tf.variableGrads' : 'valueAndGrads',
      rss_backend_mb: rssBackend,
      heap_backend_mb: heapBackend,
      rss_model_mb: rssModel,
      params_mb: mb(paramBytes),
      steps: stepsOut,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
