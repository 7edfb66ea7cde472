import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setHeapKernelProvider, setupBackend, type GemmExports } from '../src/index';
import { MATMUL_RELAXED_WASM_BASE64 } from '../src/kernels/generated/matmul-relaxed-wasm';
import { MATMUL_WASM_BASE64 } from '../src/kernels/generated/matmul-wasm';
import { relaxedOrPlainModule } from '../src/kernels/relaxed_simd';
import { asWasmBackend } from '../src/kernels/wasm_tensors';
import { tapCoverage } from '../src/kernels/tap_coverage';
import { MIN_STRIDED_CHANNELS } from '../src/kernels/conv2d_shifted';
import { providedHeapKernels } from '../src/kernels/heap_provider';
import { shiftedConvForward, shiftedConvInputGradient } from '../src/kernels/shifted_conv';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isFastConvBackpropInput } from '../src/kernels/conv2d_backprop_input';
import { setSimdKernelsEnabled } from '../src/kernels/heap_module';
import { isPatchifyConv } from '../src/kernels/patchify_conv';
import { dot, makeRng, maxRelDiff, randomValues, runOn } from './helpers';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations: number;
}

const ASYMMETRIC: Pad = [[0, 0], [0, 1], [0, 1], [0, 0]];
const EXPLICIT: Pad = [[0, 0], [2, 1], [0, 3], [0, 0]];

/** Odd spatial sizes, batch > 1, strides 1/2/4, same/valid/explicit pads, dilation 2. */
const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 1 },
  { x: [3, 9, 7, 5], filter: [2, 2, 5, 6], strides: 2, pad: 'valid', dilations: 1 },
  { x: [2, 9, 9, 4], filter: [3, 3, 4, 3], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 7, 8, 3], filter: [3, 2, 3, 5], strides: [2, 1], pad: ASYMMETRIC, dilations: 1 },
  { x: [2, 9, 7, 2], filter: [4, 4, 2, 3], strides: 4, pad: 'valid', dilations: 1 },
  { x: [2, 8, 7, 3], filter: [3, 4, 3, 2], strides: 1, pad: EXPLICIT, dilations: 1 },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  { x: [2, 11, 9, 2], filter: [3, 2, 2, 3], strides: 1, pad: 'valid', dilations: 2 },
  // K = 7*7*96 = 4704 patch columns: more output pixels (961) than one 4M-float patch chunk of the stock path holds
  // (891), and 74 chunks of 13 rows accumulated by the heap GEMM (64K floats per chunk; one output channel: its
  // scalar column loop).
  { x: [1, 31, 31, 96], filter: [7, 7, 96, 1], strides: 1, pad: 'same', dilations: 1 },
  // K = 630 (4-row tiles plus 2 rows), 13 output channels (8 + 4 + 1 columns): two heap-GEMM chunks (104 + 22 rows).
  { x: [2, 9, 7, 70], filter: [3, 3, 70, 13], strides: 1, pad: 'same', dilations: 1 },
];

/** Depthwise cases: channel multiplier 1 and 2, kernel 3/5/7 and 1x11 / 11x1 strips. */
const DEPTHWISE_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [3, 9, 9, 4], filter: [5, 5, 4, 1], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 9, 7, 5], filter: [7, 7, 5, 1], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 7, 13, 2], filter: [1, 11, 2, 1], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 13, 5, 2], filter: [11, 1, 2, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 8, 7, 3], filter: [3, 3, 3, 2], strides: [1, 2], pad: ASYMMETRIC, dilations: 1 },
  { x: [2, 8, 9, 3], filter: [3, 4, 3, 1], strides: 1, pad: EXPLICIT, dilations: 1 },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same', dilations: 2 },
  { x: [2, 11, 10, 2], filter: [3, 3, 2, 2], strides: 1, pad: 'valid', dilations: 2 },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 1], strides: 2, pad: 'valid', dilations: 1 },
  { x: [2, 10, 9, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same', dilations: 3 },
  // Most taps in the padding (coverage < 0.5): the plain-loop paths with multiplier 1.
  { x: [2, 3, 3, 4], filter: [7, 7, 4, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 2, 1, 3], filter: [5, 5, 3, 1], strides: 2, pad: 'same', dilations: 1 },
  // Padding wider than the filter reach: rows/columns of windows lying entirely in the padding.
  { x: [2, 7, 6, 2], filter: [3, 3, 2, 1], strides: 1, pad: [[0, 0], [3, 0], [0, 4], [0, 0]], dilations: 1 },
];

function outShape(c: ConvCase, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations, c.pad, undefined, depthwise).outShape;
}

function describeCase(c: ConvCase): string {
  return `x=${c.x} f=${c.filter} s=${c.strides} pad=${JSON.stringify(c.pad)} d=${c.dilations}`;
}

// Tolerances: float32 sums of at most a few hundred products of values in (-1, 1); the observed
// cpu/wasm differences are ~1e-6 relative, 1e-4 leaves room for a different summation order.
const TOL = 1e-4;

beforeAll(async () => {
  await setupBackend('cpu');
  await setupBackend('wasm');
});

/**
 * Filter-gradient cases beyond CONV_CASES for the stride-1 shifted-row GEMMs: a 1×1 filter without padding (no copies),
 * 1×1 with padding (the border rows of dy see only zeros), and 1×1 over 1152 rows of 64 channels in and out together
 * (two row blocks of 1024, copy-free), and strided ones with 16+ input channels. CONV_CASES' 7×7 one covers several
 * blocks of a padded grid (1369 rows of 675).
 */
const BACKPROP_FILTER_CASES: ConvCase[] = [
  ...CONV_CASES,
  { x: [2, 6, 7, 5], filter: [1, 1, 5, 9], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 5, 4, 3], filter: [1, 1, 3, 2], strides: 1, pad: [[0, 0], [1, 0], [2, 1], [0, 0]], dilations: 1 },
  { x: [2, 24, 24, 60], filter: [1, 1, 60, 4], strides: 1, pad: 'valid', dilations: 1 },
  // strided with 16+ input channels: the stride-phase grids (odd sizes, asymmetric 'same', [2, 1], explicit pads, 4)
  { x: [2, 9, 8, 16], filter: [3, 3, 16, 5], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 8, 9, 17], filter: [3, 2, 17, 3], strides: [2, 1], pad: EXPLICIT, dilations: 1 },
  { x: [2, 11, 10, 16], filter: [5, 3, 16, 2], strides: 4, pad: 'valid', dilations: 1 },
];

describe('Conv2DBackpropFilter on wasm', () => {
  for (const [i, c] of BACKPROP_FILTER_CASES.entries()) {
    it(`matches cpu and the adjoint of cpu conv2d: ${describeCase(c)}`, async () => {
      const rng = makeRng(100 + i);
      const xv = randomValues(rng, c.x);
      const dyShape = outShape(c, false);
      const dyv = randomValues(rng, dyShape);
      const v = randomValues(rng, c.filter);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter, dilations: c.dilations };
      const backprop = () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) }, attrs);
      const dW = await runOn('wasm', backprop);
      if (c.dilations === 1) expect(maxRelDiff(dW, await runOn('cpu', backprop))).toBeLessThan(TOL);
      // conv2d is linear in the filter, so <dy, conv2d(x, V)> must equal <dW, V> for any V.
      const y = await runOn('cpu', () =>
        tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(v, c.filter), c.strides, c.pad, 'NHWC', c.dilations),
      );
      const lhs = dot(dyv, y);
      expect(Math.abs(lhs - dot(dW, v))).toBeLessThan(TOL * Math.max(1, Math.abs(lhs), Math.sqrt(v.length)));
    });
  }
});

/**
 * Input-gradient cases beyond CONV_CASES: the flipped forward convolution (stride 1, most taps inside) with dilation,
 * 1×1 and channels in ≠ out; the heap GEMM + col2im (strides, a 2×2 map under 3×3, padding wider than the filter's
 * reach, two GEMM chunks: K = 5·5·120 = 3000 columns, 349 rows per chunk, 450 output pixels).
 */
const BACKPROP_INPUT_CASES: ConvCase[] = [
  ...CONV_CASES,
  { x: [2, 6, 7, 5], filter: [1, 1, 5, 9], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 9, 9, 6], filter: [3, 3, 6, 5], strides: 1, pad: 'same', dilations: 3 },
  { x: [3, 2, 2, 7], filter: [3, 3, 7, 4], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 1, pad: [[0, 0], [3, 0], [0, 4], [0, 0]], dilations: 1 },
  { x: [2, 30, 30, 120], filter: [5, 5, 120, 4], strides: 2, pad: 'same', dilations: 1 },
];

describe('Conv2DBackpropInput on wasm', () => {
  it('puts the patchify path in front of the flipped-convolution / GEMM path', () => {
    const kernel = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc;
    expect(isPatchifyConv(kernel)).toBe(true);
    expect(isFastConvBackpropInput(kernel)).toBe(false);
  });

  for (const [i, c] of BACKPROP_INPUT_CASES.entries()) {
    for (const simd of [true, false]) {
      it(`matches cpu and the adjoint of cpu conv2d${simd ? '' : ' (SIMD modules off)'}: ${describeCase(c)}`, async () => {
        const rng = makeRng(500 + i);
        const wv = randomValues(rng, c.filter);
        const dyShape = outShape(c, false);
        const dyv = randomValues(rng, dyShape);
        const v = randomValues(rng, c.x);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x, dilations: c.dilations };
        const backprop = () =>
          tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, c.filter) }, attrs);
        setSimdKernelsEnabled(simd);
        const before = tf.memory().numTensors;
        const dx = await runOn('wasm', backprop);
        expect(tf.memory().numTensors).toBe(before);
        setSimdKernelsEnabled(true);
        if (c.dilations === 1) expect(maxRelDiff(dx, await runOn('cpu', backprop))).toBeLessThan(TOL);
        // conv2d is linear in x, so <dy, conv2d(V, w)> must equal <dx, V> for any V.
        const y = await runOn('cpu', () =>
          tf.conv2d(tf.tensor4d(v, c.x), tf.tensor4d(wv, c.filter), c.strides, c.pad, 'NHWC', c.dilations),
        );
        const lhs = dot(dyv, y);
        expect(Math.abs(lhs - dot(dx, v))).toBeLessThan(TOL * Math.max(1, Math.abs(lhs), Math.sqrt(v.length)));
      });
    }
  }
});

describe('Conv2DBackpropFilter on wasm without the SIMD modules (stock matmul path)', () => {
  afterAll(() => setSimdKernelsEnabled(true));
  for (const c of [CONV_CASES[0], CONV_CASES[4], CONV_CASES[CONV_CASES.length - 1]]) {
    it(`matches cpu: ${describeCase(c)}`, async () => {
      const rng = makeRng(300);
      const xv = randomValues(rng, c.x);
      const dyShape = outShape(c, false);
      const dyv = randomValues(rng, dyShape);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter, dilations: c.dilations };
      const backprop = () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) }, attrs);
      setSimdKernelsEnabled(false);
      const dW = await runOn('wasm', backprop);
      setSimdKernelsEnabled(true);
      expect(maxRelDiff(dW, await runOn('cpu', backprop))).toBeLessThan(TOL);
    });
  }
});

// With the SIMD modules on, our depthwise kernels take multiplier 1; off, the XNNPACK routes (flipped correlation,
// batch as channels) and the plain loops run.
describe('DepthwiseConv2dNativeBackpropFilter / BackpropInput on wasm', () => {
  afterAll(() => setSimdKernelsEnabled(true));
  for (const [i, c] of DEPTHWISE_CASES.entries()) {
    for (const simd of [true, false]) {
      it(`match cpu and the adjoints of cpu depthwiseConv2d${simd ? '' : ' (SIMD modules off)'}: ${describeCase(c)}`, async () => {
        const rng = makeRng(200 + i);
        const xv = randomValues(rng, c.x);
        const wv = randomValues(rng, c.filter);
        const dyShape = outShape(c, true);
        const dyv = randomValues(rng, dyShape);
        const u = randomValues(rng, c.x);
        const v = randomValues(rng, c.filter);
        const common = { strides: c.strides, pad: c.pad, dilations: c.dilations };
        const filterGrad = () =>
          tf.engine().runKernel(
            tf.DepthwiseConv2dNativeBackpropFilter,
            { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) },
            { ...common, filterShape: c.filter },
          );
        const inputGrad = () =>
          tf.engine().runKernel(
            tf.DepthwiseConv2dNativeBackpropInput,
            { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, c.filter) },
            { ...common, inputShape: c.x },
          );
        setSimdKernelsEnabled(simd);
        const dW = await runOn('wasm', filterGrad);
        const dx = await runOn('wasm', inputGrad);
        setSimdKernelsEnabled(true);
        if (c.dilations === 1) {
          // tfjs-backend-cpu ignores dilations in these two kernels, so it is a reference only for dilation 1.
          expect(maxRelDiff(dW, await runOn('cpu', filterGrad))).toBeLessThan(TOL);
          expect(maxRelDiff(dx, await runOn('cpu', inputGrad))).toBeLessThan(TOL);
        }
        const fwd = (a: Float32Array, w: Float32Array) => () =>
          tf.depthwiseConv2d(tf.tensor4d(a, c.x), tf.tensor4d(w, c.filter), c.strides, c.pad, 'NHWC', c.dilations);
        const yFilter = await runOn('cpu', fwd(xv, v));
        const yInput = await runOn('cpu', fwd(u, wv));
        const lhsW = dot(dyv, yFilter);
        const lhsX = dot(dyv, yInput);
        expect(Math.abs(lhsW - dot(dW, v))).toBeLessThan(TOL * Math.max(1, Math.abs(lhsW), Math.sqrt(v.length)));
        expect(Math.abs(lhsX - dot(dx, u))).toBeLessThan(TOL * Math.max(1, Math.abs(lhsX), Math.sqrt(u.length)));
      });
    }
  }
});

describe('UnsortedSegmentSum on wasm', () => {
  it('matches cpu for float32 and int32 data, dropping out-of-range ids', async () => {
    const rng = makeRng(7);
    const xv = randomValues(rng, [6, 3, 2]);
    const ids = [2, 0, 2, 4, 1, 2];
    for (const dtype of ['float32', 'int32'] as const) {
      const run = () =>
        tf.engine().runKernel(
          tf.UnsortedSegmentSum,
          { x: tf.tensor(xv.map((v) => v * 10), [6, 3, 2], dtype), segmentIds: tf.tensor1d(ids, 'int32') },
          { numSegments: 5 },
        );
      expect(maxRelDiff(await runOn('wasm', run), await runOn('cpu', run))).toBeLessThan(TOL);
    }
    await tf.setBackend('wasm');
    const dropped = tf.tidy(() =>
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, -1, 9], 'int32'), 2).arraySync(),
    );
    expect(dropped).toEqual([[0, 0], [1, 2]]);
  });

  it('supports the gradient of tf.gather', async () => {
    const rng = makeRng(8);
    const xv = randomValues(rng, [5, 4]);
    const grad = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, [4, 0, 4, 2], 0), 3)))(tf.tensor(xv, [5, 4]));
    expect(maxRelDiff(await runOn('wasm', grad), await runOn('cpu', grad))).toBeLessThan(TOL);
  });
});

/**
 * The routes that run only with a heap-GEMM provider (OpenBLAS in the CLI): stride-1 Conv2D and Conv2DBackpropInput as
 * one GEMM per filter tap on a padded grid (shifted_conv.ts). The provider here is our own wasm GEMM, counted, so the
 * test runs without the native addon and checks that the route is taken. shifted_conv.ts also handles strides (stride
 * phase grids; the forward is routed there from 32 input channels on, the input gradient not): called directly on
 * every strided case.
 */
describe('Conv2D / Conv2DBackpropInput by shifted-row GEMMs (heap-GEMM provider registered)', () => {
  let calls = 0;
  beforeAll(() => {
    setHeapKernelProvider((backend) => {
      const gemm = relaxedOrPlainModule<GemmExports>(asWasmBackend(backend), MATMUL_RELAXED_WASM_BASE64, MATMUL_WASM_BASE64);
      if (gemm == null) return null;
      return {
        gemmNN: (...args) => {
          calls++;
          gemm.gemmNN(...args);
        },
        gemmNT: (...args) => gemm.gemmNT(...args),
      };
    });
  });
  afterAll(() => setHeapKernelProvider(null));

  // 1×1 stride-1 filters are patchify convolutions (patchify_conv.ts takes them first)
  const cases = BACKPROP_INPUT_CASES.filter((c) => !(c.strides === 1 && c.filter[0] === 1 && c.filter[1] === 1));
  for (const [i, c] of cases.entries()) {
    it(`forward and input gradient match cpu: ${describeCase(c)}`, async () => {
      const rng = makeRng(700 + i);
      const xv = randomValues(rng, c.x);
      const wv = randomValues(rng, c.filter);
      const dyShape = outShape(c, false);
      const dyv = randomValues(rng, dyShape);
      const forward = () => tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(wv, c.filter), c.strides, c.pad, 'NHWC', c.dilations);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x, dilations: c.dilations };
      const backprop = () =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, c.filter) }, attrs);
      const before = tf.memory().numTensors;
      calls = 0;
      const y = await runOn('wasm', forward);
      const forwardCalls = calls;
      const dx = await runOn('wasm', backprop);
      expect(tf.memory().numTensors).toBe(before);
      const taps = c.filter[0] * c.filter[1];
      const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations, c.pad);
      const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
      // stride 1: the shifted routes ran (at least one GEMM per tap each) unless most taps lie in the padding
      if (stride1 && tapCoverage(info) >= 0.5) expect(calls).toBeGreaterThanOrEqual(2 * taps);
      // strided with 32+ input channels: the forward's route too
      if (!stride1 && info.inChannels >= MIN_STRIDED_CHANNELS && tapCoverage(info) >= 0.5) expect(forwardCalls).toBeGreaterThanOrEqual(taps);
      const yCpu = await runOn('cpu', forward);
      expect(maxRelDiff(y, yCpu)).toBeLessThan(TOL);
      const direct = (run: (backend: BackendWasm, gemm: GemmExports) => tf.TensorInfo) => () => {
        const backend = tf.backend() as BackendWasm;
        return tf.engine().makeTensorFromTensorInfo(run(backend, providedHeapKernels(backend)!));
      };
      const yDirect = await runOn(
        'wasm',
        direct((backend, gemm) => shiftedConvForward(backend, gemm, tf.tensor(xv, c.x), tf.tensor(wv, c.filter), info)),
      );
      expect(maxRelDiff(yDirect, yCpu)).toBeLessThan(TOL);
      const dxDirect = await runOn(
        'wasm',
        direct((backend, gemm) => shiftedConvInputGradient(backend, gemm, tf.tensor(dyv, dyShape), tf.tensor(wv, c.filter), info)),
      );
      expect(maxRelDiff(dxDirect, dx)).toBeLessThan(TOL);
      expect(tf.memory().numTensors).toBe(before);
      // conv2d is linear in x, so <dy, conv2d(V, w)> must equal <dx, V> for any V (dilated cases included).
      const v = randomValues(rng, c.x);
      const yv = await runOn('cpu', () => tf.conv2d(tf.tensor4d(v, c.x), tf.tensor4d(wv, c.filter), c.strides, c.pad, 'NHWC', c.dilations));
      const lhs = dot(dyv, yv);
      expect(Math.abs(lhs - dot(dx, v))).toBeLessThan(TOL * Math.max(1, Math.abs(lhs), Math.sqrt(v.length)));
    });
  }
});
