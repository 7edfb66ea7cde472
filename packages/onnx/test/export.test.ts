/** What the exporter refuses, and the dynamic batch, on small hand-built classifiers (cpu backend, no fixtures). */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageClassifier, Linear, globalAvgPool } from '@nextnets/core-layers';
import { exportOnnx, onnxSummary } from '../src/index.js';
import { OnnxClassifier } from '../src/node.js';

/** Global pool → Linear, with an optional extra step inside the features. */
class Tiny extends ImageClassifier {
  readonly numClasses = 3;
  readonly numFeatures = 4;
  readonly fc = this.addModule('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  constructor(private readonly extra: (x: tf.Tensor) => tf.Tensor = (x) => x) {
    super();
  }
  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return this.extra(x);
  }
  forwardHead(features: tf.Tensor): tf.Tensor {
    return this.fc.forward(globalAvgPool(features));
  }
  resetClassifier(): void {}
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exportOnnx', () => {
  it('writes a dynamic-batch graph that onnxruntime runs at any batch, equal to the tfjs forward', async () => {
    const model = new Tiny((x) => tf.relu(tf.mul(x, 2)));
    const bytes = exportOnnx(model, { inputSize: [4, 5, 5], metadata: { classes: '["a","b","c"]' } });
    const summary = onnxSummary(bytes);
    expect(summary.input).toEqual({ name: 'input', dims: ['batch', 4, 5, 5] });
    expect(summary.output).toEqual({ name: 'logits', dims: ['batch', 3] });
    expect(summary.metadata.classes).toBe('["a","b","c"]');
    expect(summary.metadata.mean).toBeUndefined();
    const session = await OnnxClassifier.load(bytes);
    try {
      for (const batch of [1, 4, 7]) {
        const x = tf.randomNormal([batch, 5, 5, 4], 0, 1, 'float32', batch);
        const expected = tf.tidy(() => model.forward(x).dataSync());
        const out = await session.run(x.dataSync() as Float32Array, [batch, 5, 5, 4], 'NHWC');
        expect(out.shape).toEqual([batch, 3]);
        out.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
        x.dispose();
      }
    } finally {
      await session.dispose();
      model.dispose();
    }
  });

  it('keeps the batch dynamic through a slice over the whole batch', async () => {
    const model = new Tiny((x) => tf.slice(x, [0, 1, 0, 0], [-1, 3, -1, -1]));
    const bytes = exportOnnx(model, { inputSize: [4, 5, 5] });
    const session = await OnnxClassifier.load(bytes);
    try {
      const x = tf.randomNormal([5, 5, 5, 4], 0, 1, 'float32', 9);
      const expected = tf.tidy(() => model.forward(x).dataSync());
      const out = await session.run(x.dataSync() as Float32Array, [5, 5, 5, 4], 'NHWC');
      out.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      x.dispose();
    } finally {
      await session.dispose();
      model.dispose();
    }
  });

  it('fails, naming the problem, when a value read from the input escapes the trace', () => {
    // The scale is computed in JavaScript from the input's values: a trace cannot see it.
    const model = new Tiny((x) => tf.mul(x, tf.scalar(x.dataSync()[0])));
    expect(() => exportOnnx(model, { inputSize: [4, 5, 5] })).toThrow(/depends on the input; a value escaped the trace/);
    model.dispose();
  });

  it('fails with one line for a kernel it has no mapping for', () => {
    const model = new Tiny((x) => tf.cumsum(x, 1));
    expect(() => exportOnnx(model, { inputSize: [4, 5, 5] })).toThrow(/^ONNX export: TensorFlow.js kernel 'Cumsum' has no ONNX mapping yet$/);
    model.dispose();
  });

  it('needs an input size when the model is not named', () => {
    const model = new Tiny();
    expect(() => exportOnnx(model)).toThrow(/give inputSize/);
    model.dispose();
  });
});
