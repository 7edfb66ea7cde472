/** The ONNX parity suite shared by the backend-specific test files. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import { readNpy } from '@nextnets/core-layers/node';
import '@nextnets/models-convnext';
import '@nextnets/models-efficient';
import '@nextnets/models-rep';
import { createFixtureModel, relMaxDiff, smallFixturePath, smallManifest, type SmallFixture } from '@nextnets/test-fixtures';
import { exportOnnx, onnxSummary } from '../src/index.js';
import { OnnxClassifier } from '../src/node.js';


function exportFixture(fixture: SmallFixture, reparameterize: boolean): Uint8Array {
  const model = createFixtureModel(fixture);
  try {
    const [, c, h, w] = smallManifest(fixture).input_shape;
    const before = tf.memory().numTensors;
    const bytes = exportOnnx(model, { modelName: smallManifest(fixture).model, modelArgs: smallManifest(fixture).model_args, inputSize: [c, h, w], reparameterize });
    // Reparameterisation swaps the model's own parameters; the export itself leaves no tensor behind.
    if (!reparameterize) expect(tf.memory().numTensors).toBe(before);
    return bytes;
  } finally {
    model.dispose();
  }
}

/**
 * Exports each case (fixture, reparameterise first?) traced on `backend`, runs it through
 * onnxruntime with every graph optimisation on, at the fixture's batch and at batch 1, against PyTorch's logits.
 */
export function onnxParitySuite(backend: 'wasm' | 'cpu', cases: Array<[SmallFixture, boolean]>): void {
  beforeAll(async () => {
    await setupBackend(backend);
  });

  describe.each(cases)(`%s (deploy form: %s) traced on ${backend}, through onnxruntime`, (fixture, reparameterize) => {
    it('matches the PyTorch logits at the fixture batch and at batch 1', async () => {
      const bytes = exportFixture(fixture, reparameterize);
      const summary = onnxSummary(bytes);
      expect(summary.opset).toBeGreaterThanOrEqual(13);
      expect(summary.input.dims).toEqual(['batch', ...smallManifest(fixture).input_shape.slice(1)]);
      expect(summary.metadata.model).toBe(smallManifest(fixture).model);
      expect(summary.metadata.reparameterized).toBe(String(reparameterize));
      const input = readNpy(smallFixturePath(fixture, 'input.npy'));
      const reference = readNpy(smallFixturePath(fixture, 'logits.npy')).data as Float32Array;
      const session = await OnnxClassifier.load(bytes, { graphOptimization: 'all', threads: 1 });
      try {
        const all = await session.run(input.data as Float32Array, input.shape, 'NCHW');
        expect(all.shape).toEqual([input.shape[0], reference.length / input.shape[0]]);
        expect(relMaxDiff(all.data, reference)).toBeLessThanOrEqual(1e-4);
        const [, c, h, w] = input.shape;
        const first = await session.run((input.data as Float32Array).subarray(0, c * h * w), [1, c, h, w], 'NCHW');
        expect(first.shape[0]).toBe(1);
        expect(relMaxDiff(first.data, reference.subarray(0, first.data.length))).toBeLessThanOrEqual(1e-4);
      } finally {
        await session.dispose();
      }
    });
  });
}
