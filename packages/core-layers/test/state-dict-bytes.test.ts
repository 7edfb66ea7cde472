import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Conv2d, Linear, Sequential, loadSafetensorsBytes, manualSeed, parseSafetensors, safetensorsBytes, stateDict } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function net(seed: number): Sequential {
  manualSeed(seed);
  return new Sequential([new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3 }), new Linear({ inFeatures: 4, outFeatures: 2 })]);
}

describe('checkpoints as bytes (browser-safe)', () => {
  it('round-trips a module through safetensors bytes with metadata, in PyTorch layouts', () => {
    const source = net(1);
    const bytes = safetensorsBytes(source, { model: 'tiny' });
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt', model: 'tiny' });
    expect(parsed.tensors.get('0.weight')!.shape).toEqual([4, 3, 3, 3]);
    const target = net(2);
    expect(loadSafetensorsBytes(target, bytes, { source: 'tiny.safetensors' })).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const a = stateDict(source);
    for (const [key, t] of stateDict(target)) expect([...t.data], key).toEqual([...a.get(key)!.data]);
  });

  it('names the source in one-line errors for bytes that are not safetensors and for the wrong model', () => {
    expect(() => loadSafetensorsBytes(net(1), new TextEncoder().encode('not a checkpoint'), { source: 'junk.safetensors' })).toThrow(/^junk\.safetensors: [^\n]+$/);
    const other = new Sequential([new Linear({ inFeatures: 4, outFeatures: 2 })]);
    expect(() => loadSafetensorsBytes(net(1), safetensorsBytes(other), { source: 'other.safetensors' })).toThrow(
      /^other\.safetensors: missing key '1\.weight' \(and 1 more\) in checkpoint$/,
    );
  });
});
