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
