/**
 * `--replicas 2` (data-parallel worker replicas) trains the same run as one replica: same per-step losses up to float
 * summation order, and the same evaluation; `nextnets bench --replicas 2` reports the replica count.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliSync, trainLosses } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-replicas-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));


describe('--replicas', () => {
  it('train with 2 replicas follows the single-replica run', () => {
    // drop path off: replicas draw their own masks, which would make the runs differ by design
    const args = ['train', '--recipe', 'synthetic_smoke', '--max-steps', '4', '--model-args', '{"dropPathRate":0}'];
    const one = runCliSync([...args, '--out', join(work, 'one')]);
    const two = runCliSync([...args, '--replicas', '2', '--out', join(work, 'two')]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const [a, b] = [trainLosses(join(work, 'one')), trainLosses(join(work, 'two'))];
    expect(a.length).toBeGreaterThan(1);
    expect(b.length).toBe(a.length);
    b.forEach((loss, i) => expect(loss).toBeCloseTo(a[i], 4));
    const accuracy = (out: string) => /val accuracy: top-1 ([\d.]+)%/.exec(out)?.[1];
    expect(accuracy(two.stdout)).toBe(accuracy(one.stdout));
  });

  it('bench reports throughput on 2 replicas', () => {
    const out = join(work, 'bench');
    const r = runCliSync(['bench', '--models', 'convnext_atto', '--shapes', '32x2', '--warmup', '0', '--steps', '1', '--no-peer', '--replicas', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { results: Array<{ replicas: number; trainImgPerSec: number }> };
    expect(json.results[0].replicas).toBe(2);
    expect(json.results[0].trainImgPerSec).toBeGreaterThan(0);
  });

  it('rejects --replicas 0 with a one-line error', () => {
    const r = runCliSync(['train', '--recipe', 'synthetic_smoke', '--replicas', '0', '--out', join(work, 'zero')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--replicas/);
  });
});
