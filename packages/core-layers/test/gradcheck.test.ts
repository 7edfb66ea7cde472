import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import {
  BatchNorm2d,
  Conv2d,
  GlobalResponseNorm,
  LayerNorm2d,
  Linear,
  Mlp,
  Module,
  SqueezeExcite,
  gelu,
  manualSeed,
  normalInit,
  silu,
  uniform,
  valueAndGrads,
} from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

/** Wraps a function of x as a parameter-free module so activations get the same check. */
class Fn extends Module {
  constructor(private readonly fn: (x: tf.Tensor) => tf.Tensor) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

/**
 * Directional finite-difference check. L(θ) = Σ module(x)·R for a fixed random R; compares Σᵢ⟨∂L/∂θᵢ, dᵢ⟩ with the
 * central difference (L(θ+εd) − L(θ−εd))/2ε along a random direction d over all parameters (and the input).
 * float32 with ε = 1e-2: the truncation error is O(ε²)·|L'''| ≈ 1e-4 relative for these smooth layers and rounding
 * contributes ≈ 1e-7·|L|/ε ≈ 1e-5·|L|, so a 1e-2 relative tolerance has a wide margin yet catches any wrong gradient
 * (a missing term or wrong sign changes the derivative by O(1)).
 */
function directionalCheck(module: Module, inputShape: number[]): { analytic: number; numeric: number } {
  const x0 = tf.randomNormal(inputShape, 0, 1, 'float32', 3);
  const x = tf.variable(x0);
  x0.dispose();
  const out = tf.tidy(() => module.forward(x));
  const r = tf.randomNormal(out.shape, 0, 1, 'float32', 4);
  out.dispose();
  const params = module.namedParameters().map(([, p]) => p.variable);
  const all = [...params, x];
  const dirs = all.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 10 + i));
  const loss = () => tf.tidy(() => tf.sum(tf.mul(module.forward(x), r)) as tf.Scalar);
  const { value, grads } = tf.variableGrads(loss, all);
  value.dispose();
  const analytic = all.reduce((s, v, i) => s + tf.tidy(() => tf.sum(tf.mul(grads[v.name], dirs[i])).dataSync()[0]), 0);
  Object.values(grads).forEach((g) => g.dispose());
  const eps = 1e-2;
  const shifted = (sign: number) => {
    const originals = all.map((v) => v.clone());
    all.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.mul(dirs[i], sign * eps)))));
    const l = tf.tidy(() => loss().dataSync()[0]);
    all.forEach((v, i) => v.assign(originals[i]));
    originals.forEach((o) => o.dispose());
    return l;
  };
  const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
  [x, r, ...dirs].forEach((t) => t.dispose());
  return { analytic, numeric };
}

const cases: Array<[string, () => Module, number[]]> = [
  ['Conv2d 3×3 pad 1', () => new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 }), [2, 5, 5, 3]],
  ['Conv2d stride 2 tf-same', () => new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 'tf-same' }), [2, 6, 6, 3]],
  ['Conv2d groups 2', () => new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2 }), [2, 5, 5, 4]],
  ['depthwise 7×7', () => new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 7, padding: 3, groups: 4 }), [2, 6, 6, 4]],
  ['depthwise 1×5 stride 2', () => new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: [1, 5], padding: [0, 2], stride: 2, groups: 3 }), [1, 6, 7, 3]],
  ['Linear', () => new Linear({ inFeatures: 5, outFeatures: 3 }), [4, 5]],
  ['Linear on NHWC (1×1 conv)', () => new Linear({ inFeatures: 4, outFeatures: 3, checkpointAs: 'conv1x1' }), [2, 3, 3, 4]],
  ['BatchNorm2d train', () => new BatchNorm2d(3).train(), [4, 3, 3, 3]],
  ['BatchNorm2d eval', () => new BatchNorm2d(3).eval(), [2, 3, 3, 3]],
  ['LayerNorm2d', () => new LayerNorm2d(5), [2, 3, 3, 5]],
  ['GRN', () => {
    const g = new GlobalResponseNorm(4);
    g.weight.assign(uniform([4], -1, 1));
    g.bias.assign(uniform([4], -1, 1));
    return g;
  }, [2, 3, 3, 4]],
  ['Mlp + GRN', () => new Mlp({ inFeatures: 3, hiddenFeatures: 6, grn: true, weightInit: normalInit(0, 0.5) }), [2, 3, 3, 3]],
  ['SqueezeExcite', () => new SqueezeExcite({ channels: 4, reducedChannels: 2, act: silu }), [2, 3, 3, 4]],
  ['GELU (erf)', () => new Fn(gelu), [2, 3, 3, 2]],
  ['SiLU', () => new Fn(silu), [2, 3, 3, 2]],
  ['ReLU6', () => new Fn((x) => tf.relu6(tf.mul(x, 4))), [2, 3, 3, 2]],
];

describe('gradients match central finite differences (wasm)', () => {
  for (const [name, make, shape] of cases) {
    it(name, () => {
      manualSeed(7);
      const module = make();
      const before = tf.memory().numTensors;
      const { analytic, numeric } = directionalCheck(module, shape);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-2 * Math.max(1, Math.abs(numeric)));
      expect(tf.memory().numTensors).toBe(before);
      module.dispose();
    });
  }
});

describe('valueAndGrads', () => {
  it('keys gradients by timm parameter name', () => {
    const m = new Mlp({ inFeatures: 3, hiddenFeatures: 4 });
    const { value, grads } = valueAndGrads(m, () => tf.sum(m.forward(tf.ones([2, 3]))) as tf.Scalar);
    expect(Object.keys(grads).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    expect(grads['fc1.weight'].shape).toEqual([3, 4]);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  });
});
