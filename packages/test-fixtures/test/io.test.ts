import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeNpy, serializeSafetensors } from '@nextnets/core-layers';
import { readNpy } from '@nextnets/core-layers/node';
import { SMALL_FIXTURES, smallFixturePath, smallManifest } from '../src/index.js';

// core-layers' codecs on files written in Python (safetensors, numpy.save): every tensor decodes with its declared
// shape, safetensors re-encode to files that decode to the same tensors, and .npy files re-encode byte for byte.
describe.each(SMALL_FIXTURES)('%s files', (fixture) => {
  it('weights and gradients: float32, matching keys and shapes, lossless re-encoding', () => {
    const decoded = ['weights.safetensors', 'grads.safetensors'].map((file) => {
      const bytes = new Uint8Array(readFileSync(smallFixturePath(fixture, file)));
      const { tensors, metadata } = parseSafetensors(bytes, file);
      const again = parseSafetensors(serializeSafetensors(tensors, metadata), file);
      expect(again.metadata).toEqual({ format: 'pt', ...metadata });
      expect([...again.tensors.keys()]).toEqual([...tensors.keys()]);
      for (const [key, t] of tensors) expect(again.tensors.get(key)!.data, key).toEqual(t.data);
      for (const [key, t] of tensors) {
        expect(t.dtype, key).toBe('F32');
        expect(t.data.length, key).toBe(t.shape.reduce((n, d) => n * d, 1));
      }
      return tensors;
    });
    const [weights, grads] = decoded;
    // Every gradient names a weight of the same shape; buffers (BatchNorm running stats) have none.
    for (const [key, g] of grads) expect(weights.get(key)?.shape, key).toEqual(g.shape);
    let params = 0;
    for (const g of grads.values()) params += g.data.length;
    expect(params).toBe(smallManifest(fixture).params);
  });

  it('input, labels, logits and features: shapes agree and numpy.save bytes round-trip', () => {
    const manifest = smallManifest(fixture);
    const input = readNpy(smallFixturePath(fixture, 'input.npy'));
    const labels = readNpy(smallFixturePath(fixture, 'labels.npy'));
    const logits = readNpy(smallFixturePath(fixture, 'logits.npy'));
    expect(input.shape).toEqual(manifest.input_shape);
    expect(labels.shape).toEqual([manifest.input_shape[0]]);
    expect(logits.shape[0]).toBe(manifest.input_shape[0]);
    for (const file of ['input.npy', 'labels.npy', 'logits.npy', 'features.npy']) {
      const path = smallFixturePath(fixture, file);
      expect(Buffer.compare(serializeNpy(readNpy(path)), new Uint8Array(readFileSync(path))), file).toBe(0);
    }
  });
});
