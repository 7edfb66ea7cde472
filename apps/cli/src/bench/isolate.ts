/** One bench case in a fresh `nextnets bench` process, so that its peak RSS is that case's alone. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice } from '@nextnets/backend';
import { CliError } from '../cli/errors.js';
import { caseSpec, type BenchCase, type BenchResult } from './measure.js';

export interface IsolatedRunOptions {
  backend: BackendChoice;
  warmup: number;
  steps: number;
  threads: number;
}

/** Runs `nextnets bench --no-isolate` on this one case and engine (progress goes to our stderr) and reads its row. */
export function measureInChild(c: BenchCase, engine: 'wasm' | 'onnxruntime', opts: IsolatedRunOptions, replicas: number): BenchResult {
  const out = mkdtempSync(join(tmpdir(), 'nextnets-bench-case-'));
  try {
    const args = [...process.execArgv, process.argv[1], 'bench', '--no-isolate', '--no-peer', '--models', caseSpec(c), '--shapes', `${c.size}x${c.batch}`];
    args.push('--engine', engine, '--backend', opts.backend, '--warmup', String(opts.warmup), '--steps', String(opts.steps));
    args.push('--threads', String(opts.threads), '--replicas', String(replicas), '--out', out);
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) {
      const why = r.stderr.trim().split('\n').pop() || `signal ${r.signal}`;
      throw new CliError(`bench ${caseSpec(c)} ${c.size}x${c.batch} on ${engine} failed in its own process: ${why}`);
    }
    const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { results: BenchResult[] };
    return report.results[0];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
