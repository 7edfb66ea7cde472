import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { Command, Option } from 'commander';
import { caseSpec, measure, parseCaseSpec, type BenchCase, type BenchResult } from '../bench/measure.js';
import { measureInChild } from '../bench/isolate.js';
import { measureOnnx } from '../bench/onnx.js';
import { defaultPeerScript, defaultTimmPeerScript, peerUnavailable, runPeer, runTimmPeer, timmPeerUnavailable, type PeerResult, type TimmPeerResult } from '../bench/peer.js';
import { activateBackend, checkOutputDir, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { resolveEngine } from '../model/engine.js';
import { buildModel, checkActivationsFit, checkInputSize } from '../model/build.js';
import { CliError } from '../cli/errors.js';
import { parseInteger } from '../cli/parse.js';

interface BenchOptions extends CommonOptions {
  models: string;
  shapes: string;
  warmup: number;
  steps: number;
  /** false: --no-peer; 'timm': timm_bench.py over every model; otherwise the ConvNeXt-atto reference. */
  peer: boolean | string;
  timm?: string;
  peerScript: string;
  threads: number;
  replicas?: number;
  engine: string;
  /** false (--no-isolate): every case in this process; default: each case in a fresh child process. */
  isolate: boolean;
}

const DEFAULT_MODELS = 'convnext_atto,convnextv2_atto,inception_next_atto,repvgg_a0,repvgg_a0:reparam,tf_efficientnetv2_b0,convnext_tiny:infer';
const DEFAULT_SHAPES = '32x64,64x32,128x32,224x16';

/** `wasm,onnxruntime` → the engines to measure, in order. */
function parseEngines(text: string): Array<'wasm' | 'onnxruntime'> {
  return text.split(',').map((part) => {
    const e = part.trim();
    if (e !== 'wasm' && e !== 'onnxruntime') throw new CliError(`--engine takes wasm, onnxruntime or both (wasm,onnxruntime), got '${part}'`);
    return e;
  });
}

/** `32x64,64x32` → [[32, 64], [64, 32]] (image side × batch). */
function parseShapes(text: string): Array<[number, number]> {
  return text.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m) throw new CliError(`--shapes takes SIZExBATCH pairs like 32x64,64x32, got '${part}'`);
    return [Number(m[1]), Number(m[2])];
  });
}

/** Our rows next to timm's numbers for the same model and shape, with ours/PyTorch ratios. */
export function timmComparison(rows: BenchResult[], peers: TimmPeerResult[], backend: string): string[] {
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));
  const ratio = (a: number | null, b: number | undefined) => (a === null || !b ? '-' : `${(a / b).toFixed(2)}x`);
  const lines = [
    '',
    `PyTorch peer (timm's own models, torch ${peers[0]?.torch ?? '?'}, ${peers[0]?.threads ?? '?'} threads, best of NCHW / channels_last), same shapes:`,
    '',
    '| model | input | batch | engine | train img/s ours / PyTorch | ratio | inference img/s ours / PyTorch | ratio | peak RSS MiB ours / PyTorch |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const spec = caseSpec(r);
    const p = peers.find((q) => q.model === spec && q.size === r.size && q.batch === r.batch);
    if (!p) continue;
    const trains = !r.reparameterized && !r.inferenceOnly;
    lines.push(
      `| ${spec} | ${r.size}² | ${r.batch} | ${r.engine ?? backend} | ${fmt(r.trainImgPerSec)} / ${trains ? fmt(p.train_img_s) : '-'} | ${trains ? ratio(r.trainImgPerSec, p.train_img_s) : '-'} | ${fmt(r.inferImgPerSec)} / ${fmt(p.infer_img_s)} | ${ratio(r.inferImgPerSec, p.infer_img_s)} | ${r.peakRssMiB.toFixed(0)} / ${p.peak_rss_mib}${p.layout === 'nchw' ? ' (NCHW only)' : ''} |`,
    );
  }
  return lines;
}

function markdown(rows: BenchResult[], backend: string, peer?: { result: PeerResult; ratioTrain: number; ratioInfer: number }, timm?: TimmPeerResult[]): string {
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const lines = [
    `# nextnets bench (${backend}, ${cpus().length} CPUs, Node ${process.version})`,
    '',
    '| model | engine | GEMM | input | batch | replicas | train img/s | inference img/s | peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.model}${r.reparameterized ? ' (reparameterized)' : ''} | ${r.engine ?? backend} | ${r.gemm ?? '-'} | ${r.size}² | ${r.batch} | ${r.replicas} | ${fmt(r.trainImgPerSec)} | ${fmt(r.inferImgPerSec)} | ${r.peakRssMiB.toFixed(0)} |`,
    ),
  ];
  if (peer) {
    const p = peer.result;
    lines.push(
      '',
      `PyTorch peer (${p.peer}, ${p.threads} threads) ${p.model} ${p.size}² batch ${p.batch}: train ${p.train_img_s} img/s, inference ${p.infer_img_s} img/s.`,
      `Ratio tfjs/PyTorch for ConvNeXt-atto: train ${peer.ratioTrain.toFixed(2)}x, inference ${peer.ratioInfer.toFixed(2)}x.`,
    );
  }
  if (timm) lines.push(...timmComparison(rows, timm, backend));
  return `${lines.join('\n')}\n`;
}

/**
 * Refuses, before any case runs, shapes smaller than a model's total stride and shapes whose estimated activation
 * memory exceeds the machine's (`--shapes 4096x64` would otherwise start allocating a 12 GB input).
 */
function checkCases(cases: BenchCase[]): void {
  for (const c of cases) {
    const model = buildModel(c.model, { numClasses: 10 });
    try {
      checkInputSize(model, c.model, 3, c.size, c.size, `--shapes ${c.size}x${c.batch}`);
      checkActivationsFit(model, c.model, 3, c.size, c.batch);
    } finally {
      model.dispose();
    }
  }
}

export function benchCommand(): Command {
  return withCommonOptions(new Command('bench').description('training and inference throughput on the chosen backend (and the PyTorch peer when available)'), 'folder for bench.json and bench.md (default .bench)')
    .option('--models <list>', 'comma-separated model names; `name:reparam` measures the reparameterized form, `name:infer` inference only', DEFAULT_MODELS)
    .option('--shapes <list>', 'SIZExBATCH pairs', DEFAULT_SHAPES)
    .option('--warmup <n>', 'untimed steps first', parseInteger('--warmup', 0), 2)
    .option('--steps <n>', 'timed steps (the median is reported)', parseInteger('--steps', 1), 5)
    .option('--no-peer', 'skip the PyTorch reference run')
    .option('--peer <name>', 'timm: run ../shared/peers/timm_bench.py (timm\'s own models, --timm checkout) for every model and shape and print ours/PyTorch ratios')
    .option('--timm <dir>', 'checkout of huggingface/pytorch-image-models for --peer timm')
    .option('--peer-script <path>', 'PyTorch reference script', defaultPeerScript())
    .option('--threads <n>', 'threads for the PyTorch peer and the onnxruntime engine', parseInteger('--threads', 1), 2)
    .option('--engine <list>', 'wasm (tfjs on --backend: training and inference), onnxruntime (inference only, --threads threads), or both: wasm,onnxruntime', 'wasm')
    .addOption(new Option('--no-isolate', 'measure every case in this process (peak RSS is then the run\'s so far)').hideHelp())
    .option('--replicas <n>', 'data-parallel replicas on worker threads (default: the peer\'s --threads, at most the CPU count, so both use the same cores)', parseInteger('--replicas', 1))
    .addHelpText('after', '\nExamples:\n  nextnets bench\n  nextnets bench --models convnext_atto --shapes 32x64 --steps 10 --out .bench/atto\n  nextnets bench --replicas 1   # the main thread only\n  nextnets bench --engine wasm,onnxruntime --models convnext_atto,repvgg_a0:reparam --shapes 224x16 --no-peer')
    .action(async (opts: BenchOptions) => {
      if (typeof opts.peer === 'string' && opts.peer !== 'timm') throw new CliError(`--peer takes timm (or --no-peer), got '${opts.peer}'`);
      if (opts.peer === 'timm' && !opts.timm) throw new CliError('--peer timm needs --timm DIR (a checkout of huggingface/pytorch-image-models)');
      const outDir = opts.out ?? '.bench';
      checkOutputDir(outDir);
      const shapes = parseShapes(opts.shapes);
      const engines = parseEngines(opts.engine);
      const backend = await activateBackend(opts.backend);
      if (engines.includes('onnxruntime')) await resolveEngine('onnxruntime');
      const cases: BenchCase[] = opts.models.split(',').flatMap((spec) => {
        let parsed: ReturnType<typeof parseCaseSpec>;
        try {
          parsed = parseCaseSpec(spec);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
        return shapes.map(([size, batch]) => ({ ...parsed, size, batch }));
      });
      checkCases(cases);
      const replicas = opts.replicas ?? Math.min(opts.threads, cpus().length);
      const rows: BenchResult[] = [];
      for (const c of cases) {
        for (const engine of engines) {
          process.stderr.write(`bench ${c.model}${c.reparameterized ? ' (reparameterized)' : ''} ${c.size}² batch ${c.batch} on ${engine === 'wasm' ? backend : engine} ...\n`);
          const r = opts.isolate
            ? measureInChild(c, engine, opts, replicas)
            : engine === 'wasm'
              ? { ...(await measure(c, opts.warmup, opts.steps, replicas)), engine: backend }
              : await measureOnnx(c, opts.warmup, opts.steps, opts.threads);
          rows.push(r);
          process.stderr.write(`  train ${r.trainImgPerSec?.toFixed(1) ?? '-'} img/s, inference ${r.inferImgPerSec.toFixed(1)} img/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB\n`);
        }
      }
      let peer: { result: PeerResult; ratioTrain: number; ratioInfer: number } | undefined;
      let timm: TimmPeerResult[] | undefined;
      if (opts.peer === 'timm' && opts.timm) {
        const script = opts.peerScript === defaultPeerScript() ? defaultTimmPeerScript() : opts.peerScript;
        const why = timmPeerUnavailable(script, opts.timm);
        if (why) process.stderr.write(`PyTorch peer skipped: ${why}\n`);
        else {
          timm = [];
          const specs = [...new Set(cases.map(caseSpec))];
          for (const [size, batch] of shapes) {
            process.stderr.write(`peer timm ${specs.join(',')} ${size}² batch ${batch} ...\n`);
            timm.push(...runTimmPeer(script, opts.timm, specs, { size, batch, steps: opts.steps, warmup: opts.warmup, threads: opts.threads }));
          }
        }
      } else if (opts.peer !== false) {
        const why = peerUnavailable(opts.peerScript);
        const ours = rows.find((r) => r.model === 'convnext_atto' && r.size === 32 && r.batch === 64 && !r.reparameterized && r.engine !== 'onnxruntime');
        if (why) process.stderr.write(`PyTorch peer skipped: ${why}\n`);
        else if (!ours) process.stderr.write('PyTorch peer skipped: convnext_atto at 32x64 was not measured\n');
        else {
          const result = runPeer(opts.peerScript, 32, 64, Math.max(opts.steps, 5), opts.threads);
          peer = { result, ratioTrain: (ours.trainImgPerSec ?? 0) / result.train_img_s, ratioInfer: ours.inferImgPerSec / result.infer_img_s };
        }
      }
      mkdirSync(outDir, { recursive: true });
      const report = markdown(rows, backend, peer, timm);
      writeFileAtomic(join(outDir, 'bench.json'), `${JSON.stringify({ backend, cpus: cpus().length, node: process.version, results: rows, peer: peer ?? timm ?? null }, null, 2)}\n`);
      writeFileAtomic(join(outDir, 'bench.md'), report);
      process.stdout.write(report);
    });
}
