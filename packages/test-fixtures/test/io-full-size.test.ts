import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeNpy, serializeSafetensors } from '@nextnets/core-layers';
import { readNpy, readSafetensors } from '@nextnets/core-layers/node';
import { extraFixturesDir } from '../src/index.js';

// core-layers' safetensors/npy codecs on the large files timm and numpy wrote (optional extra suite).
const extraDir = extraFixturesDir('test-fixtures: safetensors/npy I/O on the full-size timm files');
const fixturesDir = extraDir ?? '';
const expectSameBytes = (a: Uint8Array, b: Uint8Array): void => expect(Buffer.compare(a, b)).toBe(0);

interface Manifest {
  param_count: number;
  buffer_count_numel: number;
  state_dict_tensors_in_file: number;
  num_batches_tracked_excluded: number;
  safetensors: { bytes: number; metadata: Record<string, string> };
  input: { shape: number[] };
  logits: { shape: number[]; values: number[][] };
  features: { shape: number[] };
}

const models: { name: string; tensors: number; shapes: Record<string, number[]> }[] = [
  { name: 'convnext_atto', tensors: 128, shapes: { 'stem.0.weight': [40, 3, 4, 4], 'head.fc.weight': [10, 320] } },
  { name: 'convnextv2_atto', tensors: 140, shapes: { 'stem.0.weight': [40, 3, 4, 4], 'head.fc.bias': [10] } },
  { name: 'inception_next_atto', tensors: 210, shapes: { 'head.fc1.weight': [960, 320], 'head.fc2.bias': [10] } },
  { name: 'repvgg_a0', tensors: 290, shapes: { 'stem.conv_kxk.conv.weight': [48, 3, 3, 3], 'head.fc.bias': [10] } },
  { name: 'tf_efficientnetv2_b0', tensors: 361, shapes: { 'conv_stem.weight': [32, 3, 3, 3], 'classifier.bias': [10] } },
];

const manifestOf = (name: string): Manifest => JSON.parse(readFileSync(join(fixturesDir, name, 'manifest.json'), 'utf8')) as Manifest;

describe.skipIf(!extraDir).each(models)('fixture $name', ({ name, tensors: tensorCount, shapes }) => {
  const path = join(fixturesDir, name, 'weights.safetensors');
  const manifest = extraDir ? manifestOf(name) : ({} as Manifest);

  it('reads weights.safetensors with the manifest counts and README shapes', () => {
    const { tensors, metadata } = readSafetensors(path);
    expect(tensors.size).toBe(tensorCount);
    expect(tensors.size).toBe(manifest.state_dict_tensors_in_file);
    expect(metadata).toEqual(manifest.safetensors.metadata);
    for (const [key, shape] of Object.entries(shapes)) expect(tensors.get(key)?.shape, key).toEqual(shape);
    // Parameters plus buffers, minus the dropped one-element num_batches_tracked counters.
    let total = 0;
    for (const tensor of tensors.values()) {
      expect(tensor.dtype).toBe('F32');
      expect(tensor.data.length).toBe(tensor.shape.reduce((n, d) => n * d, 1));
      total += tensor.data.length;
    }
    expect(total).toBe(manifest.param_count + manifest.buffer_count_numel - manifest.num_batches_tracked_excluded);
  });

  it('re-serializes to the identical bytes', () => {
    const original = new Uint8Array(readFileSync(path));
    expect(original.length).toBe(manifest.safetensors.bytes);
    const { tensors, metadata } = parseSafetensors(original, path);
    expectSameBytes(serializeSafetensors(tensors, metadata), original);
  });
});

describe.skipIf(!extraDir)('fixture values', () => {
  it('decodes values in the ranges the fixture README prescribes', () => {
    // LayerNorm and BatchNorm weights and running_var were drawn from uniform(0.5, 1.5).
    const convnext = readSafetensors(join(fixturesDir, 'convnext_atto', 'weights.safetensors')).tensors;
    const repvgg = readSafetensors(join(fixturesDir, 'repvgg_a0', 'weights.safetensors')).tensors;
    for (const data of [convnext.get('stem.1.weight')?.data, repvgg.get('stem.conv_kxk.bn.running_var')?.data]) {
      expect(data?.length).toBeGreaterThan(0);
      expect(Math.min(...(data ?? []))).toBeGreaterThanOrEqual(0.5);
      expect(Math.max(...(data ?? []))).toBeLessThanOrEqual(1.5);
    }
  });

  it('reads input.npy and logits.npy and matches the manifest', () => {
    const manifest = manifestOf('convnext_atto');
    const input = readNpy(join(fixturesDir, 'convnext_atto', 'input.npy'));
    expect(input.dtype).toBe('<f4');
    expect(input.shape).toEqual([2, 3, 64, 64]);
    expect(input.shape).toEqual(manifest.input.shape);
    expect(input.data.length).toBe(2 * 3 * 64 * 64);
    const logits = readNpy(join(fixturesDir, 'convnext_atto', 'logits.npy'));
    expect(logits.shape).toEqual(manifest.logits.shape);
    expect(Array.from(logits.data)).toEqual(manifest.logits.values.flat().map(Math.fround));
    const features = readNpy(join(fixturesDir, 'repvgg_a0', 'features.npy'));
    expect(features.shape).toEqual(manifestOf('repvgg_a0').features.shape);
  });

  it('re-serializes the fixture .npy files to numpy.save-identical bytes', () => {
    for (const file of ['input.npy', 'logits.npy', 'features.npy']) {
      const original = new Uint8Array(readFileSync(join(fixturesDir, 'convnext_atto', file)));
      expectSameBytes(serializeNpy(readNpy(join(fixturesDir, 'convnext_atto', file))), original);
    }
  });
});
