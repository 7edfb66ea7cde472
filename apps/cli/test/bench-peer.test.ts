/** The timm peer's output parsing and the ours/PyTorch table (the peer itself needs torch and a timm checkout). */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCaseSpec, type BenchResult } from '../src/bench/measure.js';
import { parseTimmPeerOutput, runTimmPeer } from '../src/bench/peer.js';
import { timmComparison } from '../src/commands/bench.js';
import { runCliSync } from './helpers';

describe('bench --peer timm', () => {
  it('pairs our rows with timm_bench.py lines by model spec and shape and prints ratios', () => {
    const stdout = [
      'some torch warning',
      '{"model": "convnext_atto", "size": 224, "batch": 16, "threads": 2, "torch": "1.13.1", "train_img_s": 25.0, "infer_img_s": 85.0, "peak_rss_mib": 880}',
      '{"model": "repvgg_a0:reparam", "size": 224, "batch": 16, "threads": 2, "torch": "1.13.1", "train_img_s": 13.6, "infer_img_s": 63.2, "peak_rss_mib": 900}',
    ].join('\n');
    const peers = parseTimmPeerOutput(stdout);
    expect(peers.map((p) => p.model)).toEqual(['convnext_atto', 'repvgg_a0:reparam']);
    const base = { size: 224, batch: 16, replicas: 1, peakRssMiB: 500 };
    const lines = timmComparison(
      [
        { ...base, model: 'convnext_atto', engine: 'wasm', trainImgPerSec: 17.5, inferImgPerSec: 51 },
        { ...base, model: 'convnext_atto', engine: 'onnxruntime', trainImgPerSec: null, inferImgPerSec: 127.5 },
        { ...base, model: 'repvgg_a0', reparameterized: true, engine: 'onnxruntime', trainImgPerSec: null, inferImgPerSec: 94.8 },
        { ...base, model: 'repvgg_a0', size: 32, engine: 'wasm', trainImgPerSec: 10, inferImgPerSec: 20 },
      ],
      peers,
      'wasm',
    );
    expect(lines[1]).toMatch(/torch 1\.13\.1, 2 threads/);
    const rows = lines.filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| model'));
    expect(rows).toEqual([
      '| convnext_atto | 224² | 16 | wasm | 17.5 / 25.0 | 0.70x | 51.0 / 85.0 | 0.60x | 500 / 880 |',
      '| convnext_atto | 224² | 16 | onnxruntime | - / 25.0 | - | 127.5 / 85.0 | 1.50x | 500 / 880 |',
      '| repvgg_a0:reparam | 224² | 16 | onnxruntime | - / - | - | 94.8 / 63.2 | 1.50x | 500 / 900 |',
    ]);
  });

  it.skipIf(!existsSync('/usr/bin/python3'))('runs one process per model and reruns a crashed one in NCHW only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextnets-peer-'));
    try {
      // a stand-in for timm_bench.py: aborts (like torch's allocator) on channels_last unless --nchw-only, and a model
      // named 'broken' always fails
      const script = join(dir, 'fake_peer.py');
      writeFileSync(
        script,
        [
          'import json, os, sys',
          "m = sys.argv[sys.argv.index('--models') + 1]",
          "if m == 'broken': sys.exit('no such model')",
          "if m == 'crashy' and '--nchw-only' not in sys.argv: os.abort()",
          "print(json.dumps({'model': m, 'size': 32, 'batch': 2, 'threads': 1, 'torch': 'x', 'train_img_s': 1.0, 'infer_img_s': 2.0, 'peak_rss_mib': os.getpid() % 1000}))",
        ].join('\n'),
      );
      const warnings: string[] = [];
      const results = runTimmPeer(script, dir, ['fine', 'crashy', 'broken'], { size: 32, batch: 2, steps: 1, warmup: 0, threads: 1 }, (l) => warnings.push(l));
      expect(results.map((r) => [r.model, r.layout])).toEqual([
        ['fine', 'best'],
        ['crashy', 'nchw'],
      ]);
      expect(results[0].peak_rss_mib).not.toBe(results[1].peak_rss_mib);
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(/^peer crashy 32² failed \(.*\); retrying in NCHW only$/);
      expect(warnings[1]).toBe('peer broken 32² failed (no such model); retrying in NCHW only');
      expect(warnings[2]).toBe('peer broken 32² left out: no such model');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses NAME, NAME:reparam and NAME:infer and names a bad suffix', () => {
    expect(parseCaseSpec('convnext_tiny:infer')).toEqual({ model: 'convnext_tiny', reparameterized: false, inferenceOnly: true });
    expect(parseCaseSpec(' repvgg_a0:reparam')).toEqual({ model: 'repvgg_a0', reparameterized: true, inferenceOnly: false });
    expect(() => parseCaseSpec('convnext_atto:fast')).toThrow("--models: 'convnext_atto:fast' must be NAME, NAME:reparam or NAME:infer");
  });

  it('measures an inference-only case in its own process (no training row, its own peak RSS)', () => {
    const out = mkdtempSync(join(tmpdir(), 'nextnets-bench-'));
    try {
      const r = runCliSync(['bench', '--models', 'convnext_atto:infer', '--shapes', '32x2', '--warmup', '0', '--steps', '1', '--no-peer', '--replicas', '1', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const rows = (JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { results: BenchResult[] }).results;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ model: 'convnext_atto', inferenceOnly: true, trainImgPerSec: null, replicas: 1 });
      expect(rows[0].inferImgPerSec).toBeGreaterThan(0);
      // the child's RSS, not this test runner's
      expect(rows[0].peakRssMiB).toBeGreaterThan(20);
      expect(r.stdout).toMatch(/\| convnext_atto \| wasm \| (AVX-512 ×\d+|OpenBLAS ×\d+|wasm) \| 32² \| 2 \| 1 \| - \|/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses --peer timm without a timm checkout before measuring anything', () => {
    const r = runCliSync(['bench', '--peer', 'timm', '--models', 'convnext_atto', '--shapes', '32x2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--peer timm needs --timm DIR/);
  });
});
