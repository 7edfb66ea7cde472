import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { manualSeed, valueAndGrads, type Module } from '@nextnets/core-layers';
import { EdgeResidual, InvertedResidual, SandglassBlock, type EfficientBlockOptions } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

/**
 * Directional finite-difference check of one block in train mode (BatchNorm with batch statistics, as in training).
 * L(θ) = Σ block(x) ⊙ R for fixed random x and R. The analytic directional derivative Σ ⟨∂L/∂θ, d⟩ over all parameters
 * (from valueAndGrads, keyed by timm names) is compared with (L(θ + εd) − L(θ − εd)) / 2ε along a random direction d.
 *
 * Tolerance: float32 with ε = 1e-2 along a direction scaled to 5% of each parameter's size. Rounding adds about
 * 1e-7·|y|/ε ≈ 1e-5 relative per output element; truncation is O(ε²); the ReLU6 kinks crossed by the
 * perturbation add a few 1e-3 at most. A 2e-2 relative bound keeps a wide margin, while a missing or wrong gradient
 * term (a dropped BN-statistics path, SE gate, shortcut or depthwise filter) shifts the derivative by tens of percent.
 */
function directionalCheck(block: Module, inputShape: number[]): { analytic: number; numeric: number; grads: string[] } {
  const x = tf.randomNormal(inputShape, 0, 1, 'float32', 11);
  const out = tf.tidy(() => block.forward(x));
  const r = tf.randomNormal(out.shape, 0, 1, 'float32', 12);
  out.dispose();
  const named = block.namedParameters();
  const dirs = named.map(([, p], i) =>
    tf.tidy(() => tf.mul(tf.randomNormal(p.variable.shape, 0, 1, 'float32', 100 + i), tf.add(tf.mul(tf.abs(p.variable), 0.05), 1e-3))),
  );
  const loss = (): tf.Scalar => tf.tidy(() => tf.sum(tf.mul(block.forward(x), r)) as tf.Scalar);
  const { value, grads } = valueAndGrads(block, loss);
  value.dispose();
  const analytic = named.reduce((s, [name], i) => s + tf.tidy(() => tf.sum(tf.mul(grads[name], dirs[i])).dataSync()[0]), 0);
  const gradNames = Object.keys(grads);
  Object.values(grads).forEach((g) => g.dispose());
  const eps = 1e-2;
  const outputAt = (sign: number): tf.Tensor => {
    const saved = named.map(([, p]) => p.variable.clone());
    named.forEach(([, p], i) => tf.tidy(() => p.variable.assign(tf.add(p.variable, tf.mul(dirs[i], sign * eps)))));
    const y = tf.tidy(() => block.forward(x));
    named.forEach(([, p], i) => p.variable.assign(saved[i]));
    saved.forEach((t) => t.dispose());
    return y;
  };
  // Differencing the outputs element-wise before the weighted sum keeps the rounding error at the level of each
  // output (≈ 1e-7·|y|/ε) instead of the whole loss, which the shortcut term Σ x⊙R would otherwise dominate.
  const [plus, minus] = [outputAt(1), outputAt(-1)];
  const numeric = tf.tidy(() => tf.sum(tf.mul(tf.sub(plus, minus), r)).dataSync()[0]) / (2 * eps);
  [x, r, plus, minus, ...dirs].forEach((t) => t.dispose());
  return { analytic, numeric, grads: gradNames };
}

const effOpts = (o: Partial<EfficientBlockOptions>): EfficientBlockOptions => ({
  inChannels: 8,
  outChannels: 8,
  kernelSize: 3,
  stride: 1,
  expRatio: 4,
  seRatio: 0,
  skip: undefined,
  bnEps: 1e-3,
  padType: 'tf-same',
  dropPathRate: 0,
  ...o,
});

const CASES: Array<[string, () => Module, number[]]> = [
  ['MBConv (InvertedResidual + SE, residual)', () => new InvertedResidual(effOpts({ seRatio: 0.25 })), [3, 6, 6, 8]],
  ['MBConv stride 2 tf-same (InvertedResidual + SE)', () => new InvertedResidual(effOpts({ outChannels: 12, stride: 2, seRatio: 0.25 })), [3, 7, 7, 8]],
  ['Fused-MBConv (EdgeResidual, residual)', () => new EdgeResidual(effOpts({})), [3, 6, 6, 8]],
  ['Fused-MBConv stride 2 tf-same (EdgeResidual)', () => new EdgeResidual(effOpts({ outChannels: 12, stride: 2 })), [3, 6, 6, 8]],
  ['sandglass block (identity shortcut)', () => new SandglassBlock({ inChannels: 12, outChannels: 12, stride: 1, reduction: 6 }), [3, 6, 6, 12]],
  ['sandglass block (identityDiv 2)', () => new SandglassBlock({ inChannels: 12, outChannels: 12, stride: 1, reduction: 6, identityDiv: 2 }), [3, 6, 6, 12]],
  ['sandglass first block (stride 2 on the last dw)', () => new SandglassBlock({ inChannels: 8, outChannels: 24, stride: 2, reduction: 2 }), [3, 6, 6, 8]],
];

describe('gradients vs central finite differences (wasm, train mode)', () => {
  for (const [name, build, shape] of CASES) {
    it(name, () => {
      manualSeed(5);
      const block = build().train();
      const before = tf.memory().numTensors;
      const { analytic, numeric, grads } = directionalCheck(block, shape);
      expect(tf.memory().numTensors).toBe(before);
      expect(grads.sort()).toEqual(block.namedParameters().map(([k]) => k).sort());
      const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-3);
      console.log(`${name}: analytic ${analytic.toFixed(5)} numeric ${numeric.toFixed(5)} rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(2e-2);
      block.dispose();
    });
  }
});
