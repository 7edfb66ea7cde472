import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index';
import { isSimdDepthwise } from '../src/kernels/simd_depthwise';
import { simdModule } from '../src/kernels/simd_module';
import { asWasmBackend } from '../src/kernels/wasm_tensors';
import { dot, makeRng, maxRelDiff, randomValues, runOn } from './helpers';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations: number;
}

/**
 * Channel counts hit every code path of the kernels: 53 = 32 + 16 + 4 + scalar 1, 36 = 32 + 4, 21 = 16 + 4 + 1,
 * 3 = scalar only, 8 = two 4-blocks. Odd spatial sizes, strides 1/2/(2,1) (the input gradient has its own stride-1
 * path), same/valid/explicit pads, dilation 2.
 */
const CASES: Case[] = [
  { x: [2, 9, 7, 36], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [3, 7, 9, 21], k: [3, 3], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 5, 6, 3], k: [5, 5], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 7, 13, 8], k: [1, 11], strides: [2, 1], pad: 'same', dilations: 1 },
  { x: [2, 8, 9, 17], k: [3, 4], strides: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]], dilations: 1 },
  { x: [2, 9, 8, 20], k: [3, 3], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 1, 1, 40], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 2, 3, 19], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 6, 5, 53], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 7, 8, 53], k: [3, 3], strides: 1, pad: [[0, 0], [0, 2], [1, 0], [0, 0]], dilations: 2 },
  { x: [1, 9, 7, 53], k: [3, 3], strides: 2, pad: 'same', dilations: 1 },
];

// float32 sums of at most 49 products of values in (-1, 1); a different summation order than cpu's.
const TOL = 1e-5;

describe('SIMD depthwise kernels', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });

  it('are installed in front of the depthwise kernels', () => {
    // instantiated on the tfjs heap (imported memory)
    expect(simdModule(asWasmBackend(tf.backend()))).not.toBeNull();
    for (const name of [
      tf.DepthwiseConv2dNative,
      tf.FusedDepthwiseConv2D,
      tf.DepthwiseConv2dNativeBackpropInput,
      tf.DepthwiseConv2dNativeBackpropFilter,
    ]) {
      expect(isSimdDepthwise(tf.getKernel(name, 'wasm')!.kernelFunc)).toBe(true);
    }
  });

  for (const [i, c] of CASES.entries()) {
    it(`forward (plain, fused bias) and gradients match cpu: x=${c.x} k=${c.k} s=${c.strides} pad=${JSON.stringify(c.pad)} d=${c.dilations}`, async () => {
      const rng = makeRng(900 + i);
      const filterShape = [...c.k, c.x[3], 1] as [number, number, number, number];
      const xv = randomValues(rng, c.x);
      const wv = randomValues(rng, filterShape);
      const bv = randomValues(rng, [c.x[3]]);
      const dims = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, c.dilations, c.pad, undefined, true);
      const dyv = randomValues(rng, dims.outShape);
      const inputs = () => [tf.tensor4d(xv, c.x), tf.tensor4d(wv, filterShape), tf.tensor1d(bv)] as const;
      const plain = () => {
        const [x, w] = inputs();
        return tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations);
      };
      const fused = () => {
        const [x, w, b] = inputs();
        // The fused op's typing omits explicit pads, but it passes them on to the kernel like the plain op.
        const pad = c.pad as 'same';
        return tf.fused.depthwiseConv2d({ x, filter: w, strides: c.strides, pad, dilations: c.dilations, bias: b });
      };
      const before = tf.memory().numTensors;
      expect(maxRelDiff(await runOn('wasm', plain), await runOn('cpu', plain))).toBeLessThan(TOL);
      expect(maxRelDiff(await runOn('wasm', fused), await runOn('cpu', fused))).toBeLessThan(TOL);
      const common = { strides: c.strides, pad: c.pad, dilations: c.dilations };
      const dx = await runOn('wasm', () =>
        tf.engine().runKernel(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy: tf.tensor(dyv, dims.outShape), filter: tf.tensor(wv, filterShape) },
          { ...common, inputShape: c.x },
        ),
      );
      const dW = await runOn('wasm', () =>
        tf.engine().runKernel(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dims.outShape) },
          { ...common, filterShape },
        ),
      );
      expect(tf.memory().numTensors).toBe(before);
      // Adjoint identities against cpu's forward (which, unlike cpu's gradient kernels, supports dilation):
      // <dy, conv(u, w)> = <dx, u> and <dy, conv(x, v)> = <dW, v> for random u, v.
      const u = randomValues(rng, c.x);
      const v = randomValues(rng, filterShape);
      const cpuConv = (a: Float32Array, w: Float32Array) => () =>
        tf.depthwiseConv2d(tf.tensor4d(a, c.x), tf.tensor4d(w, filterShape), c.strides, c.pad, 'NHWC', c.dilations);
      const lhsX = dot(dyv, await runOn('cpu', cpuConv(u, wv)));
      const lhsW = dot(dyv, await runOn('cpu', cpuConv(xv, v)));
      expect(Math.abs(lhsX - dot(dx, u))).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhsX)));
      expect(Math.abs(lhsW - dot(dW, v))).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhsW)));
    });
  }

  it('falls back for a channel multiplier of 2', async () => {
    const rng = makeRng(5);
    const xv = randomValues(rng, [2, 5, 5, 3]);
    const wv = randomValues(rng, [3, 3, 3, 2]);
    const run = () => tf.depthwiseConv2d(tf.tensor4d(xv, [2, 5, 5, 3]), tf.tensor4d(wv, [3, 3, 3, 2]), 1, 'same');
    expect(maxRelDiff(await runOn('wasm', run), await runOn('cpu', run))).toBeLessThan(TOL);
  });
});
