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

/** Runs timm_bench.py for `models` at one shape, with the same warm-up/steps/threads as our side. */
export function runTimmPeer(
  script: string,
  timmDir: string,
  models: string[],
  opts: { size: number; batch: number; steps: number; warmup: number; threads: number },
): TimmPeerResult[] {
  const args = [script, '--timm', timmDir, '--models', models.join(','), '--size', String(opts.size), '--batch', String(opts.batch)];
  args.push('--steps', String(opts.steps), '--warmup', String(opts.warmup), '--threads', String(opts.threads));
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`peer ${script} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return parseTimmPeerOutput(r.stdout);
}
