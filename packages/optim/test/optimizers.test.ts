import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  LAMB,
  RMSPropTF,
  SGD,
  clipGradNorm,
  defaultNoDecay,
  l2Loss,
  makeParamGroups,
  type Grads,
  type NamedParam,
  type Optimizer,
} from '../src/index';
import { disposeParams, makeParam, useCpu } from './helpers';

function tinyParams(): NamedParam[] {
  return [
    makeParam('stem.0.weight', [2, 2, 1, 3], Array.from({ length: 12 }, (_, i) => Math.sin(i))),
    makeParam('stem.0.bias', [3], [0.1, -0.2, 0.3]),
    makeParam('stages.0.blocks.0.gamma', [3], [1e-6, 1e-6, 1e-6]),
    makeParam('head.fc.weight', [3, 2], [0.5, -0.5, 0.25, -0.25, 0.1, 0.2]),
  ];
}

function gradsFor(params: NamedParam[], step: number): Grads {
  const grads: Grads = {};
  for (const [j, p] of params.entries()) {
    grads[p.name] = tf.tidy(() =>
      tf.reshape(tf.mul(tf.cos(tf.add(tf.range(0, p.variable.size), step + j)), 0.1), p.variable.shape),
    );
  }
  return grads;
}

const makers: Record<string, (params: NamedParam[]) => Optimizer> = {
  AdamW: (params) => new AdamW(makeParamGroups(params, { weightDecay: 0.05 }), { lr: 1e-2, amsgrad: true }),
  SGD: (params) => new SGD(makeParamGroups(params, { weightDecay: 1e-4 }), { lr: 0.1, momentum: 0.9, nesterov: true }),
  RMSPropTF: (params) => new RMSPropTF(makeParamGroups(params, { weightDecay: 1e-5 }), { lr: 0.016 }),
  LAMB: (params) => new LAMB(makeParamGroups(params, { weightDecay: 0.02 }), { lr: 1e-2, maxGradNorm: 0.1 }),
};

describe('optimizers', () => {
  beforeAll(useCpu);

  for (const [kind, make] of Object.entries(makers)) {
    it(`${kind}: step leaves tf.memory().numTensors unchanged`, () => {
      const params = tinyParams();
      const optimizer = make(params);
      const grads = gradsFor(params, 0);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) optimizer.step(grads, 0.01);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(grads));
      optimizer.dispose();
      disposeParams(params);
    });

    it(`${kind}: resuming from saved state reproduces the uninterrupted run bitwise`, () => {
      const lrs = [0.01, 0.02, 0.015, 0.01, 0.005, 0.001];
      const params = tinyParams();
      const optimizer = make(params);
      for (let i = 0; i < 3; i++) {
        const grads = gradsFor(params, i);
        optimizer.step(grads, lrs[i]);
        tf.dispose(Object.values(grads));
      }
      const saved = optimizer.state();
      const savedParams = params.map((p) => ({ name: p.name, value: p.variable.clone() }));
      for (let i = 3; i < lrs.length; i++) {
        const grads = gradsFor(params, i);
        optimizer.step(grads, lrs[i]);
        tf.dispose(Object.values(grads));
      }
      // a fresh optimizer over fresh variables, restored from the saved state
      const resumedParams = savedParams.map(({ name, value }) => ({ name, variable: tf.variable(value) }));
      const resumed = make(resumedParams);
      resumed.loadState({ json: JSON.parse(JSON.stringify(saved.json)), tensors: saved.tensors });
      for (let i = 3; i < lrs.length; i++) {
        const grads = gradsFor(resumedParams, i);
        resumed.step(grads, lrs[i]);
        tf.dispose(Object.values(grads));
      }
      for (const [j, p] of params.entries()) {
        expect(Array.from(resumedParams[j].variable.dataSync()), p.name).toEqual(Array.from(p.variable.dataSync()));
      }
      expect(resumed.stepCount('head.fc.weight')).toBe(lrs.length);
      tf.dispose([...saved.tensors.values(), ...savedParams.map((s) => s.value)]);
      optimizer.dispose();
      resumed.dispose();
      disposeParams(params);
      disposeParams(resumedParams);
    });
  }

  it('uses lr × lrScale per group and skips parameters without gradients', () => {
    const a = makeParam('a.weight', [2, 2], [1, 1, 1, 1]);
    const b = makeParam('b.weight', [2, 2], [1, 1, 1, 1]);
    const c = makeParam('c.weight', [2], [1, 1]);
    const sgd = new SGD(
      [
        { params: [a], lrScale: 1 },
        { params: [b, c], lrScale: 0.5 },
      ],
      { lr: 0.1 },
    );
    const grads = { 'a.weight': tf.ones([2, 2]), 'b.weight': tf.ones([2, 2]) };
    sgd.step(grads, 0.2);
    expect(Array.from(a.variable.dataSync())).toEqual(Array.from(new Float32Array([0.8, 0.8, 0.8, 0.8])));
    expect(Array.from(b.variable.dataSync())).toEqual(Array.from(new Float32Array([0.9, 0.9, 0.9, 0.9])));
    expect(Array.from(c.variable.dataSync())).toEqual([1, 1]);
    expect(sgd.stepCount('c.weight')).toBe(0);
    sgd.step(grads); // default lr 0.1
    expect(a.variable.dataSync()[0]).toBeCloseTo(0.7, 6);
    tf.dispose(Object.values(grads));
    sgd.dispose();
    disposeParams([a, b, c]);
  });

  it('AdamW first step moves every weight by about lr (sign of the gradient) after decay', () => {
    const p = makeParam('w.weight', [3, 1], [1, 2, -1]);
    const adamw = new AdamW([{ params: [p], weightDecay: 0.1 }], { lr: 0.01 });
    const grads = { 'w.weight': tf.tensor2d([[0.5], [-2], [3]]) };
    adamw.step(grads);
    // m̂ = g, v̂ = g² → update = lr·g/(|g| + eps); decay first: p·(1 − lr·wd)
    const expected = [1 * 0.999 - 0.01, 2 * 0.999 + 0.01, -1 * 0.999 - 0.01];
    const actual = p.variable.dataSync();
    expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 6));
    tf.dispose(Object.values(grads));
    adamw.dispose();
    disposeParams([p]);
  });

  it('RMSPropTF first step follows the TF formula (ms starts at 1, eps inside sqrt, lr in momentum)', () => {
    const p = makeParam('w.weight', [2, 1], [1, -1]);
    const opt = new RMSPropTF([p], { lr: 0.1, rho: 0.9, momentum: 0.9, eps: 1e-3 });
    const grads = { 'w.weight': tf.tensor2d([[2], [0.5]]) };
    opt.step(grads);
    const expected = [2, 0.5].map((g, i) => [1, -1][i] - (0.1 * g) / Math.sqrt(0.9 + 0.1 * g * g + 1e-3));
    const actual = p.variable.dataSync();
    expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 6));
    tf.dispose(Object.values(grads));
    opt.dispose();
    disposeParams([p]);
  });

  it('rejects bad gradients and settings with one-line errors', () => {
    const params = tinyParams();
    const adamw = new AdamW(params);
    const wrongShape = { 'stem.0.bias': tf.zeros([4]) };
    expect(() => adamw.step(wrongShape)).toThrow("AdamW.step: gradient for 'stem.0.bias' has shape [4], parameter has [3]");
    const unknown = { 'nope.weight': tf.zeros([1]) };
    expect(() => adamw.step(unknown)).toThrow("AdamW.step: gradient for unknown parameter 'nope.weight'");
    expect(() => adamw.step({}, -1)).toThrow('lr must be a finite number >= 0');
    expect(() => new AdamW(params, { betas: [0.9, 1] })).toThrow('betas must be in [0, 1)');
    expect(() => new SGD(params, { nesterov: true })).toThrow('nesterov requires momentum > 0');
    expect(() => new SGD([{ params: [params[0]] }, { params: [params[0]] }])).toThrow('appears in more than one group');
    expect(() => adamw.loadState({ json: { kind: 'SGD' }, tensors: new Map() })).toThrow("state is for 'SGD'");
    tf.dispose([...Object.values(wrongShape), ...Object.values(unknown)]);
    adamw.dispose();
    expect(() => adamw.step({})).toThrow('AdamW.step: optimizer was disposed');
    disposeParams(params);
  });
});

describe('param groups', () => {
  beforeAll(useCpu);

  it('defaultNoDecay: ndim <= 1 or *.bias', () => {
    const params = tinyParams();
    const flags = params.map((p) => defaultNoDecay(p.name, p.variable));
    expect(flags).toEqual([false, true, true, false]);
    disposeParams(params);
  });

  it('makeParamGroups splits by decay and lrScale, honouring a custom noDecay', () => {
    const params = [...tinyParams(), makeParam('stages.0.blocks.0.mlp.grn.weight', [1, 1, 1, 3], [0, 0, 0])];
    const groups = makeParamGroups(params, {
      weightDecay: 0.05,
      noDecay: (name, v) => defaultNoDecay(name, v) || name.includes('.grn.'),
      lrScale: (name) => (name.startsWith('head') ? 1 : 0.5),
    });
    const summary = groups.map((g) => ({ wd: g.weightDecay, scale: g.lrScale, names: g.params.map((p) => p.name) }));
    expect(summary).toEqual([
      { wd: 0.05, scale: 0.5, names: ['stem.0.weight'] },
      { wd: 0, scale: 0.5, names: ['stem.0.bias', 'stages.0.blocks.0.gamma', 'stages.0.blocks.0.mlp.grn.weight'] },
      { wd: 0.05, scale: 1, names: ['head.fc.weight'] },
    ]);
    expect(() => makeParamGroups([params[0], params[0]], { weightDecay: 0 })).toThrow("duplicate parameter name 'stem.0.weight'");
    disposeParams(params);
  });
});

describe('clipGradNorm and l2Loss', () => {
  beforeAll(useCpu);

  it('clipGradNorm scales to maxNorm, leaves small gradients alone, and leaks nothing', () => {
    const grads: Grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) };
    const before = tf.memory().numTensors;
    expect(clipGradNorm(grads, 10)).toBeCloseTo(5, 6);
    expect(Array.from(grads.a.dataSync())).toEqual([3, 0]);
    expect(clipGradNorm(grads, 1)).toBeCloseTo(5, 6);
    expect(tf.memory().numTensors).toBe(before);
    expect(grads.a.dataSync()[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(grads.b.dataSync()[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    tf.dispose(Object.values(grads));
  });

  it('l2Loss = wd · Σ‖v‖²/2 over decayed variables only', () => {
    const w = makeParam('conv.weight', [2, 1], [1, 2]);
    const b = makeParam('conv.bias', [1], [10]);
    const loss = l2Loss([w, b], 1e-5);
    expect(loss.dataSync()[0] / ((1e-5 * (1 + 4)) / 2)).toBeCloseTo(1, 6);
    loss.dispose();
    disposeParams([w, b]);
  });
});
