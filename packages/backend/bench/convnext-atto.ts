/**
 * End-to-end throughput of a ConvNeXt-family model on the wasm backend (default convnext_atto, 10 classes, 32² batch 64):
 * training img/s (forward, cross-entropy, backward, AdamW step) and inference img/s, warm-up then the median of several
 * steps, plus peak RSS. When /usr/bin/python3 has torch it also runs the PyTorch peer
 * (/work/shared/peers/torch_convnext_atto.py or --peer PATH) in the same run and prints the ratio tfjs / PyTorch.
 * Prints one JSON line. Run from packages/backend: `pnpm bench:convnext [--size 32] [--batch 64] [--steps 8]
 * [--warmup 3] [--model convnext_atto] [--no-peer] [--peer-threads 2] [--replicas 1] [--composite-adamw] [--native-gemm [--no-native-depthwise] [--no-native-gelu] [--no-native-layer-norm] [--no-native-im2col]] [--profile]`.
 * `--model` takes any registered ConvNeXt or EfficientNet-family name (e.g. tf_efficientnetv2_b0). `--native-gemm` routes the
 * heap GEMMs through OpenBLAS on one thread and the depthwise convolutions, GELU and LayerNorm through the addon's kernels
 * (@nextnets/backend-native, in every replica, as the CLI does); `--no-native-depthwise` / `--no-native-gelu` / `--no-native-layer-norm` / `--no-native-im2col` keep
 * our wasm kernels for those (A/B).
 * `--composite-adamw` makes AdamW run its ~12 elementwise ops instead of the fused update kernel (A/B). `--replicas N` splits
 * each batch over the main thread and N − 1 worker-thread replicas (@nextnets/parallel, one single-threaded wasm
 * instance per core); CPU img/s then counts the main thread only. `--peer-threads 1` compares
 * single-threaded PyTorch with single-threaded wasm (robust on a shared machine, where 2-thread PyTorch collapses). `--profile` adds the per-kernel milliseconds of one
 * training step and one inference step (tf.profile), largest first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
// Relative source imports: a workspace devDependency on the model packages would make a dependency cycle
// (they use this package in their tests). Run with `--conditions=@nextnets/source` so their own imports resolve to src.
import { valueAndGrads } from '../../core-layers/src/index';
import { AdamW, crossEntropy } from '../../optim/src/index';
import { DataParallel } from '../../parallel/src/index';
import { useNativeGemm } from '../../backend-native/src/index';
import { setupBackend } from '../src/index';
import { benchFixture, median } from './fixture';

interface Options {
  model: string;
  size: number;
  batch: number;
  steps: number;
  warmup: number;
  peer: string | null;
  profile: boolean;
  backend: string;
  peerThreads: number;
  replicas: number;
  compositeAdamW: boolean;
  nativeGemm: boolean;
  nativeDepthwise: boolean;
  nativeGelu: boolean;
  nativeLayerNorm: boolean;
  nativeIm2col: boolean;
}

function parseArgs(argv: string[]): Options {
  const defaultPeer = fileURLToPath(new URL('../../../../shared/peers/torch_convnext_atto.py', import.meta.url));
  const opts: Options = {
    model: 'convnext_atto',
    size: 32,
    batch: 64,
    steps: 8,
    warmup: 3,
    peer: defaultPeer,
    profile: false,
    backend: 'wasm',
    peerThreads: 2,
    replicas: 1,
    compositeAdamW: false,
    nativeGemm: false,
    nativeDepthwise: true,
    nativeGelu: true,
    nativeLayerNorm: true,
    nativeIm2col: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value after ${flag}`);
      return v;
    };
    if (flag === '--model') opts.model = value();
    else if (flag === '--size') opts.size = Number(value());
    else if (flag === '--batch') opts.batch = Number(value());
    else if (flag === '--steps') opts.steps = Number(value());
    else if (flag === '--warmup') opts.warmup = Number(value());
    else if (flag === '--peer') opts.peer = value();
    else if (flag === '--no-peer') opts.peer = null;
    else if (flag === '--profile') opts.profile = true;
    else if (flag === '--backend') opts.backend = value();
    else if (flag === '--peer-threads') opts.peerThreads = Number(value());
    else if (flag === '--replicas') opts.replicas = Number(value());
    else if (flag === '--composite-adamw') opts.compositeAdamW = true;
    else if (flag === '--native-gemm') opts.nativeGemm = true;
    else if (flag === '--no-native-depthwise') opts.nativeDepthwise = false;
    else if (flag === '--no-native-gelu') opts.nativeGelu = false;
    else if (flag === '--no-native-layer-norm') opts.nativeLayerNorm = false;
    else if (flag === '--no-native-im2col') opts.nativeIm2col = false;
    else throw new Error(`unknown flag ${flag}`);
  }
  return opts;
}

/**
 * Wall and process-CPU milliseconds of each call after `warmup` untimed calls. On a shared machine the CPU time of
 * this (single-threaded) process is the steadier measure of our own work; wall time is what the ratio uses.
 */
async function timeSteps(fn: () => void | Promise<void>, warmup: number, steps: number): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(cpuStart);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

/**
 * Kernel name → total ms of one call of `fn`, largest first; and the 30 largest (kernel, input shapes) pairs with their
 * call counts, to tell which layers a kernel's time comes from.
 */
async function kernelProfile(fn: () => void | Promise<void>): Promise<{ byKernel: Record<string, number>; byShape: Record<string, string> }> {
  const info = await tf.profile(async () => {
    await fn();
  });
  const totals = new Map<string, number>();
  const shapes = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = k.kernelTimeMs as number;
    totals.set(k.name, (totals.get(k.name) ?? 0) + ms);
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
    const entry = shapes.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    shapes.set(key, entry);
  }
  const sorted = [...totals].sort((a, b) => b[1] - a[1]);
  const byShape = [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
  return {
    byKernel: Object.fromEntries(sorted.map(([name, ms]) => [name, +ms.toFixed(2)])),
    byShape: Object.fromEntries(byShape.map(([key, { ms, calls }]) => [key, `${ms.toFixed(1)} ms / ${calls}`])),
  };
}

interface PeerResult {
  peer: string;
  train_img_s: number;
  infer_img_s: number;
}

function runPeer(opts: Options): PeerResult | { error: string } | null {
  const python = '/usr/bin/python3';
  // The peer script builds ConvNeXt-atto (V1, or V2 with --v2) only.
  if (opts.model !== 'convnext_atto' && opts.model !== 'convnextv2_atto') return null;
  if (opts.peer === null || !existsSync(python) || !existsSync(opts.peer)) return null;
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return null;
  const v2 = opts.model.startsWith('convnextv2') ? ['--v2'] : [];
  const args = [
    opts.peer,
    ...['--size', String(opts.size), '--batch', String(opts.batch), '--steps', String(opts.steps)],
    ...['--threads', String(opts.peerThreads), ...v2],
  ];
  const res = spawnSync(python, args, { encoding: 'utf8' });
  if (res.status !== 0) return { error: (res.stderr || 'peer failed').trim().split('\n').pop() ?? 'peer failed' };
  const line = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerResult;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const backend = await setupBackend(opts.backend as Parameters<typeof setupBackend>[0]);
  const nativeOptions = { threads: 1, depthwise: opts.nativeDepthwise, gelu: opts.nativeGelu, layerNorm: opts.nativeLayerNorm, im2colConv: opts.nativeIm2col };
  const nativeGemm = opts.nativeGemm && backend === 'wasm' && useNativeGemm(nativeOptions);
  if (opts.nativeGemm && !nativeGemm) throw new Error('--native-gemm: @nextnets/backend-native is not built or the backend is not wasm');
  const { model, x, labels, params } = benchFixture(opts.model, opts.batch, opts.size);
  const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.05, fused: !opts.compositeAdamW });

  const dp =
    opts.replicas > 1
      ? await DataParallel.create(model, {
          replicas: opts.replicas,
          factoryUrl: new URL('./replica.ts', import.meta.url).href,
          factoryArgs: { model: opts.model, numClasses: 10, native: nativeGemm ? nativeOptions : null },
        })
      : undefined;
  const trainStep = async (): Promise<void> => {
    if (dp) {
      const { value, grads } = await dp.valueAndGrads({ images: x, labels });
      optimizer.step(grads);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      return;
    }
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(x), labels));
      optimizer.step(grads);
      value.dataSync();
    });
  };
  const inferStep = async (): Promise<void> => {
    if (dp) {
      const logits = await dp.predict(x);
      logits.dataSync();
      logits.dispose();
      return;
    }
    tf.tidy(() => model.forward(x).dataSync());
  };

  model.train();
  const tensorsBefore = tf.memory().numTensors;
  const trainMs = await timeSteps(trainStep, opts.warmup, opts.steps);
  const leaked = tf.memory().numTensors - tensorsBefore;
  const trainProfile = opts.profile ? await kernelProfile(trainStep) : undefined;
  model.eval();
  const inferMs = await timeSteps(inferStep, opts.warmup, opts.steps);
  const inferProfile = opts.profile ? await kernelProfile(inferStep) : undefined;

  const trainImgS = opts.batch / (median(trainMs.wall) / 1000);
  const inferImgS = opts.batch / (median(inferMs.wall) / 1000);
  const peer = runPeer(opts);
  const result: Record<string, unknown> = {
    model: opts.model,
    backend,
    size: opts.size,
    batch: opts.batch,
    steps: opts.steps,
    replicas: opts.replicas,
    adamw_fused: optimizer.fusedKernelAvailable(),
    native_gemm: nativeGemm,
    native_depthwise: nativeGemm && opts.nativeDepthwise,
    native_gelu: nativeGemm && opts.nativeGelu,
    native_layer_norm: nativeGemm && opts.nativeLayerNorm,
    native_im2col: nativeGemm && opts.nativeIm2col,
    train_img_s: +trainImgS.toFixed(1),
    infer_img_s: +inferImgS.toFixed(1),
    train_cpu_img_s: +(opts.batch / (median(trainMs.cpu) / 1000)).toFixed(1),
    infer_cpu_img_s: +(opts.batch / (median(inferMs.cpu) / 1000)).toFixed(1),
    train_ms: trainMs.wall.map((t) => +t.toFixed(1)),
    infer_ms: inferMs.wall.map((t) => +t.toFixed(1)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    leaked_tensors_per_run: leaked,
    load_avg: +(await import('node:os')).loadavg()[0].toFixed(1),
  };
  if (peer && 'train_img_s' in peer) {
    result.peer = peer;
    result.ratio_train = +(trainImgS / peer.train_img_s).toFixed(2);
    result.ratio_infer = +(inferImgS / peer.infer_img_s).toFixed(2);
  } else if (peer) {
    result.peer = peer;
  }
  if (trainProfile) {
    result.train_kernels_ms = trainProfile.byKernel;
    result.train_kernel_shapes = trainProfile.byShape;
  }
  if (inferProfile) result.infer_kernels_ms = inferProfile.byKernel;
  await dp?.dispose();
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
