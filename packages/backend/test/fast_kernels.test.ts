import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GELU_RELAXED_WASM_BASE64 } from '../src/kernels/generated/gelu-relaxed-wasm';
import { MATMUL_RELAXED_WASM_BASE64 } from '../src/kernels/generated/matmul-relaxed-wasm';
import { heapMatMul } from '../src/kernels/heap_gemm';
import { heapModule } from '../src/kernels/heap_module';
import { isFastMatMul } from '../src/kernels/matmul';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { makeRng, maxRelDiff, randomValues, runOn } from './helpers';

/** [aShape, bShape, transposeA, transposeB]: 2-D and batched (incl. broadcast batch), odd sizes, every flag combination. */
const MATMUL_CASES: Array<[number[], number[], boolean, boolean]> = [
  [[7, 5], [5, 3], false, false],
  [[5, 7], [5, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [3, 5], true, true],
  [[3, 9, 4], [3, 6, 4], false, true],
  [[2, 4, 9], [2, 4, 5], true, false],
  [[2, 4, 9], [1, 5, 4], true, true],
  [[33, 17], [33, 65], true, false],
  // heapMatMul's tiles and tails: rows 4+4+1, columns 8+8+4+1 (a·b, aᵀ·b) or 2·10+1 (a·bᵀ), k not a multiple of 4
  [[9, 13], [13, 21], false, false],
  [[13, 9], [13, 21], true, false],
  [[9, 13], [21, 13], false, true],
  [[3, 6, 10], [1, 10, 12], false, false],
  [[1, 6, 10], [3, 12, 10], false, true],
  [[37, 130], [130, 70], false, false],
  // aᵀ·b with k = 3001 > 65536 / (13 + 11) rows: two k-blocks (2730 + 271 rows) accumulated into C
  [[3001, 13], [3001, 11], true, false],
];

// Our GEMM's fused multiply-add build (relaxed SIMD, switched on by setupBackend in Node 20), its plain-SIMD build,
// and the stock kernels behind the transposed-copy wrapper (SIMD kernels off).
describe.each([
  ['relaxed SIMD', true, '1'],
  ['plain SIMD', true, '0'],
  ['SIMD off', false, '1'],
] as const)('wasm matmul (%s)', (_, simd, relaxed) => {
  beforeAll(async () => {
    await setupBackend('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    setSimdKernelsEnabled(simd);
    process.env.NEXTNETS_WASM_RELAXED = relaxed;
  });
  afterAll(() => {
    setSimdKernelsEnabled(true);
    delete process.env.NEXTNETS_WASM_RELAXED;
  });

  it('replaces the stock BatchMatMul and _FusedMatMul', () => {
    expect(isFastMatMul(tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc)).toBe(true);
    expect(isFastMatMul(tf.getKernel(tf._FusedMatMul, 'wasm')!.kernelFunc)).toBe(true);
  });

  it.runIf(simd)('heapMatMul runs a·b, aᵀ·b and a·bᵀ on the heap and declines aᵀ·bᵀ', () => {
    const backend = tf.findBackend('wasm') as BackendWasm;
    const a = tf.ones([4, 4]);
    const b = tf.ones([4, 4]);
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]]) {
      const out = heapMatMul(backend, { a, b, transposeA, transposeB });
      expect(out).not.toBeNull();
      expect(Array.from(backend.typedArrayFromHeap(out!))).toEqual(new Array(16).fill(4));
      backend.disposeData(out!.dataId);
    }
    expect(heapMatMul(backend, { a, b, transposeA: true, transposeB: true })).toBeNull();
    tf.dispose([a, b]);
    // setupBackend switched relaxed SIMD on, so the fused multiply-add build instantiates (Node 20 and later)
    expect(heapModule(backend, MATMUL_RELAXED_WASM_BASE64)).not.toBeNull();
  });

  it.each(MATMUL_CASES)('matMul %j x %j (tA=%s, tB=%s) equals cpu, plain and fused', async (aShape, bShape, tA, tB) => {
    const rng = makeRng(aShape.length * 100 + bShape[bShape.length - 1]);
    const a = randomValues(rng, aShape);
    const b = randomValues(rng, bShape);
    const n = tB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
    const bias = randomValues(rng, [n]);
    const plain = () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), tA, tB);
    // Stock wasm _FusedMatMul adds the bias to the first batch entry only (a tfjs 4.22 bug independent of the
    // transposes), so the bias + activation epilogue is checked on 2-D operands where the stock kernel may run.
    const ours = simd && !(tA && tB);
    const epilogue = aShape.length === 2 || ours ? { bias: tf.tensor1d(bias), activation: 'relu' as const } : {};
    const fused = () =>
      tf.fused.matMul({ a: tf.tensor(a, aShape), b: tf.tensor(b, bShape), transposeA: tA, transposeB: tB, ...epilogue });
    for (const fn of [plain, fused]) {
      const expected = await runOn('cpu', fn);
      const before = tf.memory().numTensors;
      const actual = await runOn('wasm', fn);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxRelDiff(actual, expected)).toBeLessThan(1e-5);
    }
  });

  it('matMul gradients (both operands transposed in the backward) equal cpu', async () => {
    const rng = makeRng(7);
    const a = randomValues(rng, [13, 6]);
    const b = randomValues(rng, [6, 11]);
    const dy = randomValues(rng, [13, 11]);
    for (const which of [0, 1]) {
      const fn = () =>
        tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), tf.tensor(dy, [13, 11]))))(
          [tf.tensor(a, [13, 6]), tf.tensor(b, [6, 11])],
        )[which];
      expect(maxRelDiff(await runOn('wasm', fn), await runOn('cpu', fn))).toBeLessThan(1e-5);
    }
  });
});

/**
 * erf in float64 to ~1e-12 for the accuracy test: its Maclaurin series for |z| ≤ 3, and for |z| > 3 the asymptotic
 * series of erfc (four terms: truncation below 1e-3 of erfc(3) = 2.2e-5, i.e. < 3e-8 absolute).
 */
function erf64(z: number): number {
  const a = Math.abs(z);
  if (a > 3) {
    const u = 1 / (2 * a * a);
    const erfc = (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * (1 - u + 3 * u * u - 15 * u * u * u);
    return Math.sign(z) * (1 - erfc);
  }
  let term = z;
  let sum = z;
  for (let n = 1; n < 60; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The composite ops the fused kernels replace (what @nextnets/core-layers runs on other backends). */
function compositeGelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}
function compositeLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
}
/** BatchNorm2d's composite training-mode ops (tf.moments over every axis but the last). */
function compositeBatchNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return tf.add(tf.mul(tf.sub(x, mean), tf.mul(w, tf.rsqrt(tf.add(variance, eps)))), b);
}
function fusedBatchNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return (tf.engine().runKernel('NextnetsBatchNorm', { x, weight: w, bias: b }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0];
}
function fusedGelu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel('NextnetsGelu', { x }) as tf.Tensor;
}
function compositeSilu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}
function fusedSilu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel('NextnetsSilu', { x }) as tf.Tensor;
}
function fusedLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return (tf.engine().runKernel('NextnetsLayerNorm', { x, weight: w, bias: b }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0];
}

type AffineNorm = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number) => tf.Tensor;

/**
 * A fused affine normalisation (LayerNorm, BatchNorm) against its composite ops on cpu: the value, then the gradients
 * of Σ f(x, w, b)·dy for x, w and b, and no tensor left behind. x has offset 3 (a non-zero mean exercises the centring).
 */
async function expectAffineNormMatches(fused: AffineNorm, composite: AffineNorm, shape: number[], eps: number, seed: number) {
  const rng = makeRng(seed);
  const c = shape[shape.length - 1];
  const x = randomValues(rng, shape).map((v) => 3 + 2 * v);
  const w = randomValues(rng, [c]);
  const b = randomValues(rng, [c]);
  const dy = randomValues(rng, shape);
  const inputs = () => [tf.tensor(x, shape), tf.tensor1d(w), tf.tensor1d(b)];
  const value = (f: AffineNorm) => () => {
    const [xt, wt, bt] = inputs();
    return f(xt, wt, bt, eps);
  };
  const grad = (f: AffineNorm, which: number) => () =>
    tf.grads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(f(xt, wt, bt, eps), tf.tensor(dy, shape))))(inputs())[which];
  const before = tf.memory().numTensors;
  expect(maxRelDiff(await runOn('wasm', value(fused)), await runOn('cpu', value(composite)))).toBeLessThan(1e-5);
  for (const which of [0, 1, 2]) {
    const actual = await runOn('wasm', grad(fused, which));
    const expected = await runOn('cpu', grad(composite, which));
    expect(maxRelDiff(actual, expected), `gradient ${which}`).toBeLessThan(1e-4);
  }
  expect(tf.memory().numTensors).toBe(before);
  return x;
}

// Every implementation: the wasm SIMD kernels (GELU's fused multiply-add build and its plain-SIMD build) and the
// scalar loops used when the engine has no wasm SIMD.
describe.each([
  ['relaxed SIMD', true, '1'],
  ['plain SIMD', true, '0'],
  ['SIMD off', false, '1'],
] as const)('fused GELU, SiLU, LayerNorm and BatchNorm kernels (%s)', (_, simd, relaxed) => {
  beforeAll(async () => {
    await setupBackend('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    setSimdKernelsEnabled(simd);
    process.env.NEXTNETS_WASM_RELAXED = relaxed;
  });
  afterAll(() => {
    setSimdKernelsEnabled(true);
    delete process.env.NEXTNETS_WASM_RELAXED;
  });

  it("GELU's fused multiply-add build instantiates unless the SIMD kernels are off (setupBackend switched relaxed SIMD on)", () => {
    expect(heapModule(tf.findBackend('wasm') as BackendWasm, GELU_RELAXED_WASM_BASE64) !== null).toBe(simd);
  });

  it.each([[[7]], [[3, 5, 11]], [[2, 4, 4, 33]]])('GELU and its gradient on %j equal the composite on cpu', async (shape) => {
    const rng = makeRng(shape.length);
    // Scale 4: covers the erf tails and both signs.
    const x = randomValues(rng, shape).map((v) => 4 * v);
    const dy = randomValues(rng, shape);
    const value = (f: (t: tf.Tensor) => tf.Tensor) => () => f(tf.tensor(x, shape));
    const grad = (f: (t: tf.Tensor) => tf.Tensor) => () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor(dy, shape))))(tf.tensor(x, shape));
    const before = tf.memory().numTensors;
    expect(maxRelDiff(await runOn('wasm', value(fusedGelu)), await runOn('cpu', value(compositeGelu)))).toBeLessThan(1e-6);
    expect(maxRelDiff(await runOn('wasm', grad(fusedGelu)), await runOn('cpu', grad(compositeGelu)))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('GELU is within 3.5e-7·|x| of the exact value on a dense grid over [−10, 10]; NaN, +∞ and ±1e30 as in exact math', async () => {
    const grid = Float32Array.from({ length: 200_001 }, (_, i) => -10 + i * 1e-4);
    const y = await runOn('wasm', () => fusedGelu(tf.tensor(grid)));
    let worst = 0;
    grid.forEach((x, i) => {
      worst = Math.max(worst, Math.abs(y[i] - 0.5 * x * (1 + erf64(x * Math.SQRT1_2))) / Math.max(Math.abs(x), 1e-30));
    });
    expect(worst).toBeLessThan(3.5e-7);
    const special = await runOn('wasm', () => fusedGelu(tf.tensor([Number.NaN, Number.POSITIVE_INFINITY, 1e30, -1e30])));
    expect(special[0]).toBeNaN();
    expect(special[1]).toBe(Number.POSITIVE_INFINITY);
    expect(special[2]).toBe(Math.fround(1e30));
    expect(Math.abs(special[3])).toBe(0); // erf at the clamp is exactly −1 in float32
  });

  it.each([[[7]], [[3, 5, 11]], [[2, 4, 4, 33]], [[16, 9]]])('SiLU and its gradient on %j equal the composite on cpu', async (shape) => {
    const rng = makeRng(shape.length + 40);
    // Scale 12: both signs and the flat tails of σ.
    const x = randomValues(rng, shape).map((v) => 12 * v);
    const dy = randomValues(rng, shape);
    const value = (f: (t: tf.Tensor) => tf.Tensor) => () => f(tf.tensor(x, shape));
    const grad = (f: (t: tf.Tensor) => tf.Tensor) => () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor(dy, shape))))(tf.tensor(x, shape));
    const before = tf.memory().numTensors;
    expect(maxRelDiff(await runOn('wasm', value(fusedSilu)), await runOn('cpu', value(compositeSilu)))).toBeLessThan(1e-6);
    expect(maxRelDiff(await runOn('wasm', grad(fusedSilu)), await runOn('cpu', grad(compositeSilu)))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('SiLU and its gradient are within 1e-6 (relative to max(1, |x|)) of the exact values over [−30, 30]; NaN stays NaN', async () => {
    const grid = Float32Array.from({ length: 60_001 }, (_, i) => -30 + i * 1e-3);
    const ones = new Float32Array(grid.length).fill(1);
    const y = await runOn('wasm', () => fusedSilu(tf.tensor(grid)));
    const dx = await runOn('wasm', () => tf.engine().runKernel('NextnetsSiluGrad', { dy: tf.tensor(ones), x: tf.tensor(grid) }) as tf.Tensor);
    let worstY = 0;
    let worstDx = 0;
    grid.forEach((x, i) => {
      const s = 1 / (1 + Math.exp(-x));
      worstY = Math.max(worstY, Math.abs(y[i] - x * s) / Math.max(1, Math.abs(x)));
      worstDx = Math.max(worstDx, Math.abs(dx[i] - s * (1 + x * (1 - s))) / Math.max(1, Math.abs(x)));
    });
    expect(worstY).toBeLessThan(1e-6);
    expect(worstDx).toBeLessThan(1e-6);
    expect((await runOn('wasm', () => fusedSilu(tf.tensor([Number.NaN, 1e30]))))[0]).toBeNaN();
  });

  it.each([
    [[6, 1], 1e-5],
    [[4, 5, 3, 9], 1e-5],
    [[2, 7, 6, 40], 1e-3],
  ])('BatchNorm (training mode) and its gradients on %j (eps %s) equal the composite on cpu', async (shape, eps) => {
    const x = await expectAffineNormMatches(fusedBatchNorm, compositeBatchNorm, shape, eps, shape[shape.length - 1] + 50);
    const c = shape[shape.length - 1];
    const ones = new Float32Array(c).fill(1);
    const stats = await runOn('wasm', () => {
      const inputs = { x: tf.tensor(x, shape), weight: tf.tensor1d(ones), bias: tf.tensor1d(ones) };
      const [, mean, variance] = tf.engine().runKernel('NextnetsBatchNorm', inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return tf.concat([mean, variance]);
    });
    const expectedStats = await runOn('cpu', () => {
      const { mean, variance } = tf.moments(tf.tensor(x, shape), [...Array(shape.length - 1).keys()]);
      return tf.concat([mean, variance]);
    });
    expect(maxRelDiff(stats, expectedStats)).toBeLessThan(1e-5);
  });

  it.each([
    [[5, 1], 1e-6],
    [[3, 7, 13], 1e-5],
    [[2, 3, 5, 40], 1e-6],
  ])('LayerNorm and its gradients on %j (eps %s) equal the composite on cpu', async (shape, eps) => {
    await expectAffineNormMatches(fusedLayerNorm, compositeLayerNorm, shape, eps, shape[shape.length - 1]);
  });
});
