import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setupBackend } from '@nextnets/backend';
import { relMaxDiff } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NATIVE_ADDON_PATH, stopNativeGemm, useNativeGemm } from '../src/index';
import { available } from './availability';
import { heapOperands } from './heap-operands';

// Counts the calls that reach the addon's im2col kernels through the provider (the kernels run unchanged), so that a
// comparison cannot pass by running the other routes twice.
const calls = vi.hoisted(() => ({ forward: 0, backpropInput: 0, backpropFilter: 0 }));
vi.mock('@nextnets/backend', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@nextnets/backend')>();
  const counted = (k: import('@nextnets/backend').Im2colConvExports): import('@nextnets/backend').Im2colConvExports => ({
    forward: (...args) => (calls.forward++, k.forward(...args)),
    backpropInput: (...args) => (calls.backpropInput++, k.backpropInput(...args)),
    backpropFilter: (...args) => (calls.backpropFilter++, k.backpropFilter(...args)),
  });
  return {
    ...actual,
    setHeapKernelProvider: (provider: import('@nextnets/backend').HeapKernelProvider | null) =>
      actual.setHeapKernelProvider(
        provider &&
          ((backend) => {
            const kernels = provider(backend);
            return kernels && { ...kernels, im2colConv: kernels.im2colConv && counted(kernels.im2colConv) };
          }),
      ),
  };
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  /** [FH, FW, CO] */
  k: [number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations: number;
}

/**
 * 1, 3, 16 and 48 input channels, 96 when strided; stride 1, 2 and (2, 1); 'same', 'valid' and explicit pads; dilation 2; odd maps and
 * filters (2×3, 5×5); batch 1 and more; an image smaller than the filter's reach; output channels below, at and above
 * the GEMM's 16-column vectors; at stride 1 both input-gradient forms (the scatter-add when CO > CI, the forward pass
 * over dy with the flipped filter otherwise, also with a pad larger than the filter's reach).
 */
const CASES: Case[] = [
  { x: [2, 9, 11, 3], k: [3, 3, 32], strides: 2, pad: 'same', dilations: 1 },
  { x: [1, 13, 10, 16], k: [3, 3, 64], strides: 2, pad: 'same', dilations: 1 },
  { x: [3, 8, 7, 16], k: [3, 3, 16], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 7, 9, 1], k: [5, 5, 5], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 10, 9, 3], k: [2, 3, 7], strides: [2, 1], pad: 'same', dilations: 1 },
  { x: [1, 9, 8, 16], k: [3, 3, 17], strides: 1, pad: 'same', dilations: 2 },
  { x: [2, 8, 9, 3], k: [3, 4, 24], strides: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]], dilations: 1 },
  { x: [1, 2, 3, 16], k: [5, 5, 8], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 11, 11, 1], k: [3, 3, 48], strides: 2, pad: 'valid', dilations: 1 },
  { x: [2, 7, 8, 48], k: [3, 3, 20], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 9, 8, 16], k: [3, 3, 4], strides: 1, pad: 'valid', dilations: 1 },
  { x: [1, 10, 9, 16], k: [3, 3, 5], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 6, 7, 16], k: [3, 3, 8], strides: 1, pad: [[0, 0], [3, 0], [1, 4], [0, 0]], dilations: 1 },
  { x: [2, 9, 8, 96], k: [3, 3, 24], strides: 2, pad: 'same', dilations: 1 },
];

const describeCase = (c: Case): string => `x=${c.x} k=${c.k} s=${c.strides} pad=${JSON.stringify(c.pad)} d=${c.dilations}`;

/** Forward (plain and with the fused bias), input and filter gradients of one case, as arrays, with the inputs. */
function convAll(c: Case): { results: Float32Array[]; x: Float32Array; w: Float32Array; bias: Float32Array; dy: Float32Array; outShape: number[] } {
  return tf.tidy(() => {
    const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform([c.k[0], c.k[1], c.x[3], c.k[2]], -1, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomUniform([c.k[2]], -1, 1, 'float32', 3) as tf.Tensor1D;
    const plain = tf.conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations);
    const fused = tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad as 'same', dilations: c.dilations, bias });
    const dy = tf.randomUniform(plain.shape, -1, 1, 'float32', 4);
    const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: c.x }) as tf.Tensor;
    const dW = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
    const [xv, wv, bv, dyv] = [x, w, bias, dy].map((t) => t.dataSync() as Float32Array);
    return { results: [plain, fused, dx, dW].map((t) => t.dataSync() as Float32Array), x: xv, w: wv, bias: bv, dy: dyv, outShape: plain.shape };
  });
}

/** Output size, strides and the padding before the first row and column, as tfjs computes them. */
function geometryOf(c: Case): { outH: number; outW: number; sh: number; sw: number; top: number; left: number } {
  const [, inH, inW] = c.x;
  const [fhN, fwN] = c.k;
  const [sh, sw] = typeof c.strides === 'number' ? [c.strides, c.strides] : c.strides;
  const d = c.dilations;
  const [reachH, reachW] = [(fhN - 1) * d + 1, (fwN - 1) * d + 1];
  if (Array.isArray(c.pad)) {
    const [[, ], [t, b], [l, r]] = c.pad;
    return { outH: Math.floor((inH + t + b - reachH) / sh) + 1, outW: Math.floor((inW + l + r - reachW) / sw) + 1, sh, sw, top: t, left: l };
  }
  if (c.pad === 'valid') return { outH: Math.ceil((inH - reachH + 1) / sh), outW: Math.ceil((inW - reachW + 1) / sw), sh, sw, top: 0, left: 0 };
  const [outH, outW] = [Math.ceil(inH / sh), Math.ceil(inW / sw)];
  const padH = Math.max((outH - 1) * sh + reachH - inH, 0);
  const padW = Math.max((outW - 1) * sw + reachW - inW, 0);
  return { outH, outW, sh, sw, top: Math.floor(padH / 2), left: Math.floor(padW / 2) };
}

/** Plain-JS forward (with bias), input and filter gradients in float64, the reference. */
function reference(c: Case, x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array): Float64Array[] {
  const [batch, inH, inW, ci] = c.x;
  const [fhN, fwN, co] = c.k;
  const { outH, outW, sh, sw, top, left } = geometryOf(c);
  const d = c.dilations;
  const y = new Float64Array(batch * outH * outW * co);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++) {
        const o = ((b * outH + oh) * outW + ow) * co;
        for (let k = 0; k < co; k++) y[o + k] = bias[k];
        for (let fh = 0; fh < fhN; fh++) {
          const ih = oh * sh - top + fh * d;
          if (ih < 0 || ih >= inH) continue;
          for (let fw = 0; fw < fwN; fw++) {
            const iw = ow * sw - left + fw * d;
            if (iw < 0 || iw >= inW) continue;
            for (let i = 0; i < ci; i++) {
              const xi = ((b * inH + ih) * inW + iw) * ci + i;
              const wi = ((fh * fwN + fw) * ci + i) * co;
              for (let k = 0; k < co; k++) {
                y[o + k] += x[xi] * w[wi + k];
                dx[xi] += dy[o + k] * w[wi + k];
                dW[wi + k] += x[xi] * dy[o + k];
              }
            }
          }
        }
      }
  return [y, dx, dW];
}

/** Largest |a − ref| relative to the largest |ref| (float32 results against the float64 reference). */
function relErr(a: Float32Array, ref: Float64Array): number {
  let err = 0;
  let scale = 1e-12;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

describe.skipIf(!available)('native im2col convolutions on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  for (const c of CASES) {
    it(`forward, fused bias, input and filter gradients match a float64 reference and the other routes: ${describeCase(c)}`, () => {
      useNativeGemm({ threads: 1, im2colConv: false });
      const before = { ...calls };
      const other = convAll(c);
      expect(calls).toEqual(before);
      useNativeGemm({ threads: 1 });
      const native = convAll(c);
      // forward twice (plain, fused bias), each gradient once; the filter gradient of a stride-1 convolution with at
      // most 16 output channels stays on the per-tap route (conv2d_im2col.ts)
      const filterRouted = !(c.strides === 1 && c.k[2] <= 16);
      expect(calls).toEqual({ forward: before.forward + 2, backpropInput: before.backpropInput + 1, backpropFilter: before.backpropFilter + (filterRouted ? 1 : 0) });
      expect(native.outShape.slice(1, 3)).toEqual([geometryOf(c).outH, geometryOf(c).outW]);
      const [y, dx, dW] = reference(c, native.x, native.w, native.bias, native.dy);
      const yNoBias = y.map((v, i) => v - native.bias[i % c.k[2]]);
      const refs = [yNoBias, y, dx, dW];
      for (const [i, name] of ['forward', 'fused bias', 'input gradient', 'filter gradient'].entries()) {
        expect(relErr(native.results[i], refs[i]), `${name} against float64`).toBeLessThan(1e-5);
        expect(relMaxDiff(native.results[i], other.results[i]), `${name} against the other route`).toBeLessThan(1e-5);
      }
    });
  }

  it('run under OpenBLAS too (NEXTNETS_NATIVE_SGEMM aside: two OpenBLAS threads take the products)', () => {
    const c = CASES[1];
    useNativeGemm({ threads: 1 });
    const own = convAll(c);
    useNativeGemm({ threads: 2 });
    const before = { ...calls };
    const openblas = convAll(c);
    expect(calls.forward).toBe(before.forward + 2);
    for (let i = 0; i < 4; i++) expect(relMaxDiff(openblas.results[i], own.results[i])).toBeLessThan(1e-5);
  });

  it('leave 1×1 and many-channel convolutions to the other routes', () => {
    useNativeGemm({ threads: 1 });
    const before = { ...calls };
    tf.tidy(() => {
      tf.conv2d(tf.ones([1, 6, 6, 8]) as tf.Tensor4D, tf.ones([1, 1, 8, 4]) as tf.Tensor4D, 1, 'same').dataSync();
      tf.conv2d(tf.ones([1, 6, 6, 64]) as tf.Tensor4D, tf.ones([3, 3, 64, 4]) as tf.Tensor4D, 1, 'same').dataSync();
      tf.conv2d(tf.ones([1, 6, 6, 160]) as tf.Tensor4D, tf.ones([3, 3, 160, 4]) as tf.Tensor4D, 2, 'same').dataSync();
    });
    expect(calls).toEqual(before);
  });

  it('leave no tensors behind in a training-style loop', () => {
    useNativeGemm({ threads: 1 });
    const x = tf.randomUniform([2, 9, 9, 3], -1, 1, 'float32', 5);
    const w = tf.randomUniform([3, 3, 3, 8], -1, 1, 'float32', 6);
    const loss = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same')));
    const step = () => tf.tidy(() => tf.grads(loss)([x, w]).forEach((g) => g.dispose()));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('names an operand outside the heap, or a bad stride, in one line instead of reading past it', () => {
    const lib = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Record<string, (...args: unknown[]) => void>;
    const heap = new ArrayBuffer(4096);
    // x [1, 8, 8, 2] (128 floats), filter [3, 3, 2, 4] (72), out [1, 8, 8, 4] (256)
    const g = [1, 8, 8, 2, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4];
    expect(() => lib.im2colConvForward(heap, ...g, 64, 1024, 0, 3200)).toThrow(/^nextnets native: out \(256 floats at byte 3200\) is outside the heap of 4096 bytes$/);
    expect(() => lib.im2colConvBackpropInput(heap, ...g, 64, 3900, 2048)).toThrow(/^nextnets native: filter \(72 floats at byte 3900\) is outside the heap of 4096 bytes$/);
    expect(() => lib.im2colConvBackpropFilter(heap, ...g, 3600, 64, 2048)).toThrow(/^nextnets native: x \(128 floats at byte 3600\) is outside the heap of 4096 bytes$/);
    expect(() => lib.im2colConvForward(heap, 1, 8, 8, 2, 8, 8, 3, 3, 0, 1, 1, 1, 1, 1, 4, 64, 1024, 0, 2048)).toThrow(/^nextnets native im2colConvForward: strides and dilations must be at least 1$/);
    expect(() => lib.im2colConvForward(heap, ...g, 64, 1024, 0)).toThrow(/^nextnets native: im2colConvForward takes 20 arguments$/);
  });
});

/**
 * The addon called directly on a plain heap against the reference, once per instruction set this CPU runs (the patch
 * copies are built for AVX-512, AVX2 and the baseline): each a separate copy of the addon file, loaded with
 * NEXTNETS_NATIVE_ISA naming it (a loaded addon keeps its choice).
 */
describe.skipIf(!available)('native im2col convolutions of every instruction set', () => {
  type Addon = Record<'im2colConvForward' | 'im2colConvBackpropInput' | 'im2colConvBackpropFilter', (heap: ArrayBuffer, ...args: number[]) => void>;
  const paths: string[] = [];
  afterAll(() => paths.forEach((path) => rmSync(path, { force: true })));

  it.each(['avx512', 'avx2', 'base'])('%s (where the CPU has it) matches a float64 reference', (isa) => {
    const path = NATIVE_ADDON_PATH.replace(/\.node$/, `.im2col-${isa}-test-${process.pid}.node`);
    copyFileSync(NATIVE_ADDON_PATH, path);
    paths.push(path);
    process.env.NEXTNETS_NATIVE_ISA = isa;
    let lib: Addon;
    try {
      lib = createRequire(import.meta.url)(path) as Addon;
    } finally {
      delete process.env.NEXTNETS_NATIVE_ISA;
    }
    // strided (scatter), stride 1 with CO > CI (scatter) and CO ≤ CI (flipped forward), 1 and 48 channels, dilation,
    // explicit pads (one beyond the filter's reach)
    for (const c of [0, 3, 4, 2, 5, 6, 9, 12, 13].map((i) => CASES[i])) {
      const [batch, inH, inW, ci] = c.x;
      const [fhN, fwN, co] = c.k;
      const { outH, outW, sh, sw, top, left } = geometryOf(c);
      const sizes = [batch * inH * inW * ci, fhN * fwN * ci * co, co, batch * outH * outW * co];
      const { heap, xp, x, wp, w, bp, bias, dyp, dy, op, out, dxp, dx, dwp, dW } = heapOperands(sizes);
      const g = [batch, inH, inW, ci, outH, outW, fhN, fwN, sh, sw, c.dilations, c.dilations, top, left, co];
      lib.im2colConvForward(heap, ...g, xp, wp, bp, op);
      lib.im2colConvBackpropInput(heap, ...g, dyp, wp, dxp);
      lib.im2colConvBackpropFilter(heap, ...g, xp, dyp, dwp);
      const [y, dxRef, dWRef] = reference(c, x, w, bias, dy);
      expect(relErr(out, y), `${isa} forward ${describeCase(c)}`).toBeLessThan(1e-5);
      expect(relErr(dx, dxRef), `${isa} input gradient ${describeCase(c)}`).toBeLessThan(1e-5);
      expect(relErr(dW, dWRef), `${isa} filter gradient ${describeCase(c)}`).toBeLessThan(1e-5);
    }
  });
});
