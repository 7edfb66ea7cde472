/** The PyTorch reference (`../shared/peers/torch_convnext_atto.py`), run when `/usr/bin/python3` has torch. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface PeerResult {
  peer: string;
  model: string;
  size: number;
  batch: number;
  threads: number;
  train_img_s: number;
  infer_img_s: number;
}

const PYTHON = '/usr/bin/python3';

/** `<repo>/../shared/peers/torch_convnext_atto.py` (the repo root is two levels above apps/cli). */
export function defaultPeerScript(): string {
  return resolve(join(packageRoot(), '..', '..', '..', 'shared', 'peers', 'torch_convnext_atto.py'));
}

/** Why the peer cannot run, or undefined when it can. */
export function peerUnavailable(script: string): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(script)) return `peer script ${script} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} has no torch (apt-get install python3-torch)`;
}

export function runPeer(script: string, size: number, batch: number, steps: number, threads: number): PeerResult {
  const r = spawnSync(PYTHON, [script, '--size', String(size), '--batch', String(batch), '--steps', String(steps), '--threads', String(threads)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`peer ${script} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerResult;
}

/** One line of `timm_bench.py` (timm's own model, best of NCHW / channels_last). */
export interface TimmPeerResult {
  /** The model spec as given (`repvgg_a0:reparam` = inference in the deploy form). */
  model: string;
  size: number;
  batch: number;
  threads: number;
  torch: string;
  train_img_s: number;
  infer_img_s: number;
  peak_rss_mib: number;
  /** 'best': the better of NCHW and channels_last; 'nchw': channels_last crashed, NCHW only. */
  layout?: 'best' | 'nchw';
}

/** `<repo>/../shared/peers/timm_bench.py`. */
export function defaultTimmPeerScript(): string {
  return resolve(join(packageRoot(), '..', '..', '..', 'shared', 'peers', 'timm_bench.py'));
}

/** Why the timm peer cannot run (torch missing, no timm checkout), or undefined when it can. */
export function timmPeerUnavailable(script: string, timmDir: string): string | undefined {
  if (!existsSync(join(timmDir, 'timm'))) return `${timmDir} is not a checkout of huggingface/pytorch-image-models (no timm/ inside)`;
  return peerUnavailable(script);
}

/** The JSON lines of timm_bench.py's stdout (other lines, e.g. warnings, are skipped). */
export function parseTimmPeerOutput(stdout: string): TimmPeerResult[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as TimmPeerResult);
}

/**
 * Runs timm_bench.py for `models` at one shape, with the same warm-up/steps/threads as our side: one process per model,
 * so each peak RSS is that model's own. A process that dies (Debian's torch 1.13 aborts in its allocator on repvgg_a0
 * channels_last training at 224²) is rerun in NCHW only, and its line says so; a model that still fails is reported on
 * stderr and left out.
 */
export function runTimmPeer(
  script: string,
  timmDir: string,
  models: string[],
  opts: { size: number; batch: number; steps: number; warmup: number; threads: number },
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): TimmPeerResult[] {
  const results: TimmPeerResult[] = [];
  for (const model of models) {
    const args = [script, '--timm', timmDir, '--models', model, '--size', String(opts.size), '--batch', String(opts.batch)];
    args.push('--steps', String(opts.steps), '--warmup', String(opts.warmup), '--threads', String(opts.threads));
    let r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    let layout: TimmPeerResult['layout'] = 'best';
    if (r.status !== 0) {
      warn(`peer ${model} ${opts.size}² failed (${lastLine(r.stderr || r.stdout) || `signal ${r.signal}`}); retrying in NCHW only`);
      r = spawnSync(PYTHON, [...args, '--nchw-only'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      layout = 'nchw';
    }
    if (r.status !== 0) {
      warn(`peer ${model} ${opts.size}² left out: ${lastLine(r.stderr || r.stdout) || `signal ${r.signal}`}`);
      continue;
    }
    results.push(...parseTimmPeerOutput(r.stdout).map((line) => ({ ...line, layout })));
  }
  return results;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
