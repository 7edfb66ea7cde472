import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { Command } from 'commander';
import { measure, type BenchCase, type BenchResult } from '../bench/measure.js';
import { defaultPeerScript, peerUnavailable, runPeer, type PeerResult } from '../bench/peer.js';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger } from '../cli/parse.js';

interface BenchOptions extends CommonOptions {
  models: string;
  shapes: string;
  warmup: number;
  steps: number;
  peer: boolean;
  peerScript: string;
  threads: number;
  replicas?: number;
}

const DEFAULT_MODELS = 'convnext_atto,convnextv2_atto,inception_next_atto,repvgg_a0,repvgg_a0:reparam,tf_efficientnetv2_b0';

/** `32x64,64x32` → [[32, 64], [64, 32]] (image side × batch). */
function parseShapes(text: string): Array<[number, number]> {
  return text.split(',').map((part) => {
    const m = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!m) throw new CliError(`--shapes takes SIZExBATCH pairs like 32x64,64x32, got '${part}'`);
    return [Number(m[1]), Number(m[2])];
  });
}

function markdown(rows: BenchResult[], backend: string, peer?: { result: PeerResult; ratioTrain: number; ratioInfer: number }): string {
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const lines = [
    `# nextnets bench (${backend}, ${cpus().length} CPUs, Node ${process.version})`,
    '',
    '| model | input | batch | replicas | train img/s | inference img/s | peak RSS MiB |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.model}${r.reparameterized ? ' (reparameterized)' : ''} | ${r.size}² | ${r.batch} | ${r.replicas} | ${fmt(r.trainImgPerSec)} | ${fmt(r.inferImgPerSec)} | ${r.peakRssMiB.toFixed(0)} |`,
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
  return `${lines.join('\n')}\n`;
}

export function benchCommand(): Command {
  return withCommonOptions(new Command('bench').description('training and inference throughput on the chosen backend (and the PyTorch peer when available)'), 'folder for bench.json and bench.md (default .bench)')
    .option('--models <list>', 'comma-separated model names; `name:reparam` measures the reparameterized form', DEFAULT_MODELS)
    .option('--shapes <list>', 'SIZExBATCH pairs', '32x64,64x32')
    .option('--warmup <n>', 'untimed steps first', parseInteger('--warmup', 0), 2)
    .option('--steps <n>', 'timed steps (the median is reported)', parseInteger('--steps', 1), 5)
    .option('--no-peer', 'skip the PyTorch reference run')
    .option('--peer-script <path>', 'PyTorch reference script', defaultPeerScript())
    .option('--threads <n>', 'threads for the PyTorch peer', parseInteger('--threads', 1), 2)
    .option('--replicas <n>', 'data-parallel replicas on worker threads (default: the peer\'s --threads, at most the CPU count, so both use the same cores)', parseInteger('--replicas', 1))
    .addHelpText('after', '\nExamples:\n  nextnets bench\n  nextnets bench --models convnext_atto --shapes 32x64 --steps 10 --out .bench/atto\n  nextnets bench --replicas 1   # the main thread only')
    .action(async (opts: BenchOptions) => {
      const backend = await activateBackend(opts.backend);
      const shapes = parseShapes(opts.shapes);
      const cases: BenchCase[] = opts.models.split(',').flatMap((spec) => {
        const [model, mode] = spec.trim().split(':');
        return shapes.map(([size, batch]) => ({ model, size, batch, reparameterized: mode === 'reparam' }));
      });
      const replicas = opts.replicas ?? Math.min(opts.threads, cpus().length);
      const rows: BenchResult[] = [];
      for (const c of cases) {
        process.stderr.write(`bench ${c.model}${c.reparameterized ? ' (reparameterized)' : ''} ${c.size}² batch ${c.batch} ...\n`);
        const r = await measure(c, opts.warmup, opts.steps, replicas);
        rows.push(r);
        process.stderr.write(`  train ${r.trainImgPerSec?.toFixed(1) ?? '-'} img/s, inference ${r.inferImgPerSec.toFixed(1)} img/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB\n`);
      }
      let peer: { result: PeerResult; ratioTrain: number; ratioInfer: number } | undefined;
      if (opts.peer) {
        const why = peerUnavailable(opts.peerScript);
        const ours = rows.find((r) => r.model === 'convnext_atto' && r.size === 32 && r.batch === 64 && !r.reparameterized);
        if (why) process.stderr.write(`PyTorch peer skipped: ${why}\n`);
        else if (!ours) process.stderr.write('PyTorch peer skipped: convnext_atto at 32x64 was not measured\n');
        else {
          const result = runPeer(opts.peerScript, 32, 64, Math.max(opts.steps, 5), opts.threads);
          peer = { result, ratioTrain: (ours.trainImgPerSec ?? 0) / result.train_img_s, ratioInfer: ours.inferImgPerSec / result.infer_img_s };
        }
      }
      const outDir = opts.out ?? '.bench';
      mkdirSync(outDir, { recursive: true });
      const report = markdown(rows, backend, peer);
      writeFileAtomic(join(outDir, 'bench.json'), `${JSON.stringify({ backend, cpus: cpus().length, node: process.version, results: rows, peer: peer ?? null }, null, 2)}\n`);
      writeFileAtomic(join(outDir, 'bench.md'), report);
      process.stdout.write(report);
    });
}
