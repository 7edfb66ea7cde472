import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, manualSeed, valueAndGrads, type Module } from '@nextnets/core-layers';
import { ConvFFN, RepLKBlock, RepVggBlock } from '../src/index.js';
import { randomInput, randomizeBatchNorms, useWasm } from './helpers.js';

useWasm();

/**
 * Directional derivative check: ⟨∇L, d⟩ from valueAndGrads vs the central difference (L(θ+εd) − L(θ−εd)) / 2ε along a
 * random unit-norm direction d over all parameters. L = Σ out·R with a fixed random R.
 */
function directionalCheck(module: Module, x: tf.Tensor, eps: number): { analytic: number; numeric: number } {
  const params = module.namedParameters();
  const rng = new Rng(21);
  const outShape = tf.tidy(() => module.forward(x).shape);
  const weights = tf.tensor(Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal()), outShape);
  const loss = () => tf.tidy(() => tf.sum(tf.mul(module.forward(x), weights)) as tf.Scalar);
  const dirs = params.map(([, p]) => tf.tensor(Float32Array.from({ length: p.variable.size }, () => rng.normal()), p.variable.shape));
  const norm = Math.sqrt(dirs.reduce((s, d) => s + tf.tidy(() => tf.sum(tf.square(d)).dataSync()[0]), 0));
  const { value, grads } = valueAndGrads(module, loss);
  const analytic = params.reduce(
    (s, [name], i) => s + tf.tidy(() => tf.sum(tf.mul(grads[name], dirs[i])).dataSync()[0]) / norm,
    0,
  );
  const originals = params.map(([, p]) => p.variable.clone());
  const lossAt = (sign: number) => {
    params.forEach(([, p], i) => tf.tidy(() => p.variable.assign(tf.add(originals[i], tf.mul(dirs[i], (sign * eps) / norm)))));
    return tf.tidy(() => loss().dataSync()[0]);
  };
  const numeric = (lossAt(1) - lossAt(-1)) / (2 * eps);
  params.forEach(([, p], i) => p.variable.assign(originals[i]));
  tf.dispose([value, weights, ...Object.values(grads), ...dirs, ...originals]);
  return { analytic, numeric };
}

/*
 * Step and tolerance: the losses are sums of ~100–400 float32 terms of magnitude ~1 (total ~10), with rounding error
 * ~1e-5 absolute, so the central difference over a unit-norm step ε = 3e-3 carries ~1e-5/3e-3 ≈ 3e-3 absolute error;
 * truncation is O(ε²) (BN's batch statistics are smooth). A larger ε (1e-2) crossed a ReLU kink in the RepLK block and
 * was off by 3%, ε = 3e-3 and 1e-3 agree to 1e-4 relative. The directional derivatives are O(5–10), so a 1% bound
 * leaves a wide margin for rounding while any wrong or missing gradient term is off by far more.
 */
const EPS = 3e-3;
const TOL = 1e-2;

describe('gradients vs finite differences (wasm, train mode)', () => {
  it('RepVGG block: grouped 3x3 + 1x1 + identity BN', () => {
    manualSeed(3);
    const block = new RepVggBlock({ inChannels: 4, outChannels: 4, stride: 1, groups: 2 });
    randomizeBatchNorms(block);
    const x = randomInput([2, 6, 6, 4]);
    const { analytic, numeric } = directionalCheck(block, x, EPS);
    expect(Math.abs(analytic - numeric)).toBeLessThan(TOL * Math.abs(analytic));
    x.dispose();
    block.dispose();
  });

  it('RepLK block: 7x7 depthwise + parallel 5x5, with pointwise convs and BNs', () => {
    manualSeed(4);
    const block = new RepLKBlock(4, 4, 7, 5);
    randomizeBatchNorms(block);
    const x = randomInput([2, 7, 7, 4]);
    const { analytic, numeric } = directionalCheck(block, x, EPS);
    expect(Math.abs(analytic - numeric)).toBeLessThan(TOL * Math.abs(analytic));
    x.dispose();
    block.dispose();
  });

  it('ConvFFN block (GELU)', () => {
    manualSeed(5);
    const block = new ConvFFN(4, 16);
    randomizeBatchNorms(block);
    const x = randomInput([2, 5, 5, 4]);
    const { analytic, numeric } = directionalCheck(block, x, EPS);
    expect(Math.abs(analytic - numeric)).toBeLessThan(TOL * Math.abs(analytic));
    x.dispose();
    block.dispose();
  });
});
