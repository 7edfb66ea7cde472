import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrads, type Module } from '@nextnets/core-layers';
import { ConvNeXtBlock, MetaNeXtBlock } from '../src/index.js';
import { seededNormal, useWasm } from './helpers.js';

beforeAll(useWasm);

/** Gives every parameter O(1) random values (norm weights around 1) so each path carries gradient. */
function randomizeForTest(module: Module, seed: number): void {
  module.namedParameters().forEach(([name, p], i) => {
    tf.tidy(() => {
      const noise = tf.mul(seededNormal(p.variable.shape, seed + i), 0.5);
      p.variable.assign(/norm\.weight$/.test(name) ? tf.add(noise, 1) : noise);
    });
  });
}

/**
 * Compares the analytic directional derivative Σ⟨∂L/∂θ, d⟩ with the central difference (L(θ+εd) − L(θ−εd))/2ε for a
 * random direction d over all parameters, L = Σ block(x)·R with fixed random x, R. Returns the relative error.
 */
function directionalCheck(module: Module, forward: (x: tf.Tensor) => tf.Tensor, xShape: number[], eps: number): number {
  const x = seededNormal(xShape, 11);
  const r = tf.tidy(() => forward(x));
  const weights = seededNormal(r.shape, 12);
  r.dispose();
  const loss = (): tf.Scalar => tf.sum(tf.mul(forward(x), weights));
  const params = module.namedParameters();
  const dirs = params.map(([, p], i) => seededNormal(p.variable.shape, 100 + i));
  const { value, grads } = valueAndGrads(module, loss);
  const analytic = tf.tidy(() => params.reduce((acc, [name], i) => acc + tf.sum(tf.mul(grads[name], dirs[i])).dataSync()[0], 0));
  const shift = (scale: number): void =>
    params.forEach(([, p], i) => tf.tidy(() => p.variable.assign(tf.add(p.variable, tf.mul(dirs[i], scale)))));
  shift(eps);
  const plus = tf.tidy(() => loss().dataSync()[0]);
  shift(-2 * eps);
  const minus = tf.tidy(() => loss().dataSync()[0]);
  shift(eps);
  const numeric = (plus - minus) / (2 * eps);
  tf.dispose([x, weights, value, ...Object.values(grads), ...dirs]);
  return Math.abs(numeric - analytic) / Math.abs(analytic);
}

// Tolerance. Measured on these blocks (params ~0.5, direction ~0.6 per element), the relative error falls like ε²
// (truncation from the curvature of LayerNorm/GELU/GRN: 1e-2 at ε = 1e-2, ~1e-3 at 3e-3) until float32 rounding of
// L (|L| ~ 10–100, error ~1e-6·|L| per evaluation, divided by 2ε) takes over near ε = 1e-3 (~6e-4). ε = 2e-3 sits
// between the two regimes (≲1e-3 observed); 5e-3 leaves margin, while a wrong or missing gradient term in any
// parameter tensor gives errors of order 1e-1 or more.
const TOL = 5e-3;
const EPS = 2e-3;

describe('gradients match finite differences', () => {
  it('ConvNeXt V1 block (layer scale)', () => {
    const block = new ConvNeXtBlock({ dim: 8, lsInitValue: 1 });
    randomizeForTest(block, 1);
    expect(directionalCheck(block, (x) => block.forward(x), [2, 5, 5, 8], EPS)).toBeLessThan(TOL);
  });

  it('ConvNeXt V2 block (GRN, 1×1-conv MLP)', () => {
    const block = new ConvNeXtBlock({ dim: 8, useGrn: true, lsInitValue: null, convMlp: true });
    randomizeForTest(block, 2);
    expect(directionalCheck(block, (x) => block.forward(x), [2, 5, 5, 8], EPS)).toBeLessThan(TOL);
  });

  it('ConvNeXt V2 block with an FCMAE mask', () => {
    const block = new ConvNeXtBlock({ dim: 8, useGrn: true, lsInitValue: null });
    randomizeForTest(block, 3);
    const keep = tf.tensor4d([1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0], [2, 3, 3, 1]);
    expect(directionalCheck(block, (x) => block.forwardMasked(x, keep), [2, 3, 3, 8], EPS)).toBeLessThan(TOL);
    keep.dispose();
  });

  it('InceptionNeXt MetaNeXt block (train-mode BatchNorm)', () => {
    const block = new MetaNeXtBlock({ dim: 16, bandKernelSize: 5, branchRatio: 0.25, lsInitValue: 1 });
    randomizeForTest(block, 4);
    expect(directionalCheck(block, (x) => block.forward(x), [2, 6, 6, 16], EPS)).toBeLessThan(TOL);
  });
});
