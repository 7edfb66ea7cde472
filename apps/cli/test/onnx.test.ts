/** `export --format onnx` then `predict` of the .onnx file on onnxruntime, against the fixture's PyTorch logits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '@nextnets/core-layers/node';
import { smallFixturePath, smallManifest } from '@nextnets/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliSync } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-onnx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ONNX export and the onnxruntime engine', () => {
  it('export --format onnx --reparameterize, then predict --engine onnxruntime matches PyTorch', () => {
    const fixture = 'repvgg_tiny_cfg';
    const manifest = smallManifest(fixture);
    const out = join(work, 'deploy');
    const exported = runCliSync([
      'export', '--format', 'onnx', '--reparameterize',
      '--model', manifest.model, '--model-args', JSON.stringify(manifest.model_args),
      '--checkpoint', smallFixturePath(fixture, 'weights.safetensors'),
      '--input-size', String(manifest.input_shape[2]), '--out', out,
    ]);
    expect(exported.stderr).toMatch(/reparameterized: /);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/wrote .*model\.onnx .*input \[batch, 3, 64, 64\]/);

    const logitsPath = join(work, 'logits.npy');
    const predicted = runCliSync([
      'predict', '--checkpoint', join(out, 'model.onnx'), '--engine', 'onnxruntime',
      '--input', smallFixturePath(fixture, 'input.npy'), '--output', logitsPath, '--top-k', '1',
    ]);
    expect(predicted.stderr).toMatch(/wrote logits \[4, 4\]/);
    expect(predicted.code).toBe(0);
    const ours = readNpy(logitsPath).data as Float32Array;
    const reference = readNpy(smallFixturePath(fixture, 'logits.npy')).data as Float32Array;
    let diff = 0;
    let scale = 0;
    reference.forEach((r, i) => {
      diff = Math.max(diff, Math.abs(ours[i] - r));
      scale = Math.max(scale, Math.abs(r));
    });
    expect(ours.length).toBe(reference.length);
    expect(diff / scale).toBeLessThanOrEqual(1e-4);

    const wasm = runCliSync(['predict', '--checkpoint', join(out, 'model.onnx'), '--engine', 'wasm', '--input', smallFixturePath(fixture, 'input.npy')]);
    expect(wasm.code).toBe(1);
    expect(wasm.stderr).toMatch(/is an ONNX model: it runs with --engine onnxruntime/);
  });
});
