import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { BatchNorm2d, leanGradientsSupported, leanVariableGrads, manualSeed, silu, valueAndGrads } from '../src/index.js';
import { TinyConvNeXt } from './tiny-convnext.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

function setup(): { model: TinyConvNeXt; loss: () => tf.Scalar; dispose: () => void } {
  manualSeed(3);
  const model = new TinyConvNeXt(4).train();
  const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 7);
  const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(oneHot, model.forward(x)) as tf.Scalar;
  return { model, loss, dispose: () => tf.dispose([x, oneHot]) };
}

describe('leanVariableGrads', () => {
  it('gives the same loss and gradients as tf.variableGrads, bit for bit, and leaks no tensor', () => {
    const { model, loss, dispose } = setup();
    const variables = model.namedParameters().map(([, p]) => p.variable);
    const reference = tf.variableGrads(loss, variables);
    const before = tf.memory().numTensors;
    const lean = leanVariableGrads(loss, variables);
    expect(Object.keys(lean.grads).sort()).toEqual(Object.keys(reference.grads).sort());
    expect(lean.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
    for (const [name, g] of Object.entries(reference.grads)) {
      expect(Array.from(lean.grads[name].dataSync()), name).toEqual(Array.from(g.dataSync()));
    }
    tf.dispose([lean.value, ...Object.values(lean.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([reference.value, ...Object.values(reference.grads)]);
    dispose();
  });

  it('the shape-only gradients (Add, Sub, Sum, Mean, Reshape, ExpandDims, AddN, PadV2) match with their saved tensors released', () => {
    const a = tf.variable(tf.randomNormal([3, 4, 5], 0, 1, 'float32', 11));
    const b = tf.variable(tf.randomNormal([5], 0, 1, 'float32', 12));
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const s = tf.sub(tf.add(a, b), tf.mul(b, 2));
        const r = tf.expandDims(tf.reshape(s, [12, 5]), 0);
        const p = tf.pad(tf.square(r), [[0, 0], [1, 2], [0, 1]], 0.5);
        const m = tf.addN([tf.mean(p, 1), tf.sum(tf.mul(p, p), 1), tf.mean(p, 1)]);
        return tf.sum(tf.mul(m, tf.mean(s)));
      });
    const reference = tf.variableGrads(loss, [a, b]);
    const before = tf.memory().numTensors;
    const lean = leanVariableGrads(loss, [a, b]);
    expect(lean.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
    for (const v of [a, b]) expect(Array.from(lean.grads[v.name].dataSync())).toEqual(Array.from(reference.grads[v.name].dataSync()));
    tf.dispose([lean.value, ...Object.values(lean.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([reference.value, ...Object.values(reference.grads), a, b]);
  });

  it('peaks lower than tf.variableGrads (saved tensors and intermediate gradients are freed during the backward pass)', async () => {
    const { model, loss, dispose } = setup();
    const variables = model.namedParameters().map(([, p]) => p.variable);
    const peakOf = async (grads: () => tf.TensorContainer): Promise<number> =>
      (await tf.profile(() => tf.tidy(() => grads()) as tf.Tensor)).peakBytes;
    const measure = (): tf.Tensor[] => {
      const { value, grads } = tf.variableGrads(loss, variables);
      return [value, ...Object.values(grads)];
    };
    const reference = await peakOf(() => tf.tidy(() => tf.stack(measure().map((t) => tf.sum(t)))));
    const lean = await peakOf(() =>
      tf.tidy(() => {
        const { value, grads } = leanVariableGrads(loss, variables);
        return tf.stack([value, ...Object.values(grads)].map((t) => tf.sum(t)));
      }),
    );
    expect(lean).toBeLessThan(0.8 * reference);
    dispose();
  });

  it('valueAndGrads uses it at the top level and tf.variableGrads inside an enclosing gradient', () => {
    const { model, loss, dispose } = setup();
    expect(leanGradientsSupported()).toBe(true);
    const before = tf.memory().numTensors;
    const { value, grads } = valueAndGrads(model, loss);
    expect(Object.keys(grads)).toContain('fc.weight');
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    // Second order through tf.grad: the outer tape must keep its saved tensors, so the inner call is the stock one.
    const w = tf.variable(tf.scalar(1.5));
    const dOuter = tf.grad((s: tf.Tensor) => {
      expect(leanGradientsSupported()).toBe(false);
      return tf.mul(s, tf.mul(w, w));
    })(tf.scalar(2));
    expect(dOuter.dataSync()[0]).toBeCloseTo(2.25, 6);
    tf.dispose([dOuter, w]);
    dispose();
  });
});

describe('silu', () => {
  // on wasm silu is the fused kernel (its own SIMD exp), elsewhere the composite that saves x only: both agree with
  // differentiating x·sigmoid(x) to float rounding
  it('differentiates like x·sigmoid(x) without leaking', () => {
    const x = tf.variable(tf.randomNormal([6, 7, 5], 0, 3, 'float32', 21));
    const w = tf.randomNormal([6, 7, 5], 0, 1, 'float32', 22);
    const reference = tf.variableGrads(() => tf.sum(tf.mul(tf.mul(x, tf.sigmoid(x)), w)), [x]);
    const before = tf.memory().numTensors;
    const lean = tf.variableGrads(() => tf.sum(tf.mul(silu(x), w)), [x]);
    expect(lean.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 4);
    const [ours, ref] = [lean.grads[x.name].dataSync(), reference.grads[x.name].dataSync()];
    for (let i = 0; i < ref.length; i++) expect(Math.abs(ours[i] - ref[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref[i])));
    tf.dispose([lean.value, ...Object.values(lean.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([reference.value, ...Object.values(reference.grads), x, w]);
  });
  it('without the fused kernel (cpu backend) saves only its input yet differentiates bit for bit like x·sigmoid(x)', async () => {
    await setupBackend('cpu');
    try {
      const x = tf.variable(tf.randomNormal([6, 7, 5], 0, 3, 'float32', 21));
      const w = tf.randomNormal([6, 7, 5], 0, 1, 'float32', 22);
      const reference = tf.variableGrads(() => tf.sum(tf.mul(tf.mul(x, tf.sigmoid(x)), w)), [x]);
      const before = tf.memory().numTensors;
      const lean = tf.variableGrads(() => tf.sum(tf.mul(silu(x), w)), [x]);
      expect(lean.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
      expect(Array.from(lean.grads[x.name].dataSync())).toEqual(Array.from(reference.grads[x.name].dataSync()));
      tf.dispose([lean.value, ...Object.values(lean.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([reference.value, ...Object.values(reference.grads), x, w]);
    } finally {
      await setupBackend('wasm');
    }
  });
});

describe('BatchNorm2d.forwardSilu', () => {
  it('matches silu(bn.forward(x)) bit for bit: output, gradients and running statistics, without leaking', () => {
    const make = (): BatchNorm2d => {
      const bn = new BatchNorm2d(6).train();
      bn.weight.assign(tf.randomNormal([6], 1, 0.3, 'float32', 31));
      bn.bias.assign(tf.randomNormal([6], 0, 0.3, 'float32', 32));
      return bn;
    };
    const [a, b] = [make(), make()];
    const x = tf.variable(tf.randomNormal([3, 5, 4, 6], 0.5, 2, 'float32', 33));
    const w = tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 34);
    const reference = leanVariableGrads(() => tf.sum(tf.mul(silu(a.forward(x)), w)), [x, a.weight, a.bias]);
    const before = tf.memory().numTensors;
    const fused = leanVariableGrads(() => tf.sum(tf.mul(b.forwardSilu(x), w)), [x, b.weight, b.bias]);
    expect(fused.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
    const pairs: Array<[tf.Tensor, tf.Tensor]> = [
      [fused.grads[x.name], reference.grads[x.name]],
      [fused.grads[b.weight.name], reference.grads[a.weight.name]],
      [fused.grads[b.bias.name], reference.grads[a.bias.name]],
      [b.runningMean, a.runningMean],
      [b.runningVar, a.runningVar],
    ];
    for (const [got, want] of pairs) expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([fused.value, ...Object.values(fused.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([reference.value, ...Object.values(reference.grads), x, w]);
  });
});
