/** The timm peer's output parsing and the ours/PyTorch table (the peer itself needs torch and a timm checkout). */
import { describe, expect, it } from 'vitest';
import { parseTimmPeerOutput } from '../src/bench/peer.js';
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
      '| convnext_atto | 224² | 16 | wasm | 17.5 / 25.0 | 0.70x | 51.0 / 85.0 | 0.60x | 880 |',
      '| convnext_atto | 224² | 16 | onnxruntime | - / 25.0 | - | 127.5 / 85.0 | 1.50x | 880 |',
      '| repvgg_a0:reparam | 224² | 16 | onnxruntime | - / - | - | 94.8 / 63.2 | 1.50x | 900 |',
    ]);
  });

  it('refuses --peer timm without a timm checkout before measuring anything', () => {
    const r = runCliSync(['bench', '--peer', 'timm', '--models', 'convnext_atto', '--shapes', '32x2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--peer timm needs --timm DIR/);
  });
});
