import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setupBackend } from '@nextnets/backend';
import { relMaxDiff } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nativeKernelIsa, NATIVE_ADDON_PATH, stopNativeGemm, useNativeGemm } from '../src/index';
import { available } from './availability';
import { heapOperands } from './heap-operands';

// Counts the calls that reach the addon's depthwise kernels through the provider (the provider is wrapped, the
// kernels themselves run unchanged), so that a comparison cannot pass by running the wasm kernels twice.
const nativeCalls = vi.hoisted(() => ({ forward: 0, backpropInput: 0, backpropFilter: 0, gelu: 0, geluGrad: 0, layerNorm: 0, layerNormGrad: 0 }));
vi.mock('@nextnets/backend', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@nextnets/backend')>();
  const counted = (k: import('@nextnets/backend').DepthwiseExports): import('@nextnets/backend').DepthwiseExports => ({
    setGeometry: k.setGeometry,
    forward: (...args) => (nativeCalls.forward++, k.forward(...args)),
    backpropInput: (...args) => (nativeCalls.backpropInput++, k.backpropInput(...args)),
    backpropFilter: (...args) => (nativeCalls.backpropFilter++, k.backpropFilter(...args)),
  });
  const countedGelu = (k: import('@nextnets/backend').GeluExports): import('@nextnets/backend').GeluExports => ({
    gelu: (...args) => (nativeCalls.gelu++, k.gelu(...args)),
    geluGrad: (...args) => (nativeCalls.geluGrad++, k.geluGrad(...args)),
  });
  const countedLayerNorm = (k: import('@nextnets/backend').LayerNormExports): import('@nextnets/backend').LayerNormExports => ({
    layerNorm: (...args) => (nativeCalls.layerNorm++, k.layerNorm(...args)),
    layerNormGrad: (...args) => (nativeCalls.layerNormGrad++, k.layerNormGrad(...args)),
  });
  return {
    ...actual,
    setHeapKernelProvider: (provider: import('@nextnets/backend').HeapKernelProvider | null) =>
      actual.setHeapKernelProvider(
        provider &&
          ((backend) => {
            const kernels = provider(backend);
            if (kernels == null) return null;
            return {
              ...kernels,
              depthwise: kernels.depthwise && counted(kernels.depthwise),
              gelu: kernels.gelu && countedGelu(kernels.gelu),
              layerNorm: kernels.layerNorm && countedLayerNorm(kernels.layerNorm),
            };
          }),
      ),
  };
});


type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations: number;
}

/**
 * 7-wide rows (ConvNeXt) wider than 4 + 6 columns take the sliding-window path of the forward and input gradient.
 * Channel counts cover the vector widths and their overlapping last blocks: 40 = 16 + 16 + 8 (overlapped 16), 53,
 * 20, 10 (two overlapping 8-blocks), 7 (4-blocks), 3 and 1 (scalar). ConvNeXt's 7×7 'same', InceptionNeXt's 3×3,
 * 1×11 and 11×1 'same', stride 2 and (2, 1) (the gather path of the input gradient), explicit and 'valid' pads,
 * dilation 2, images smaller than the kernel. EfficientNetV2's 3×3 (the three-wide path: weights and filter-gradient
 * sums in registers per output row) with 613 channels (38 16-blocks and an overlapping last one) on 7×7 maps at
 * stride 1 and on 14×13 at stride 2, and on a map smaller than the kernel.
 */
const CASES: Case[] = [
  { x: [2, 14, 13, 40], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 9, 7, 53], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 6, 23, 21], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 12, 11, 10], k: [3, 3], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 8, 17, 20], k: [1, 11], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 17, 8, 20], k: [11, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [3, 9, 11, 21], k: [3, 3], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 7, 13, 7], k: [1, 11], strides: [2, 1], pad: 'same', dilations: 1 },
  { x: [2, 6, 9, 3], k: [5, 5], strides: 1, pad: 'valid', dilations: 1 },
  { x: [2, 8, 9, 17], k: [3, 4], strides: 1, pad: [[0, 0], [2, 1], [0, 3], [0, 0]], dilations: 1 },
  { x: [2, 11, 10, 24], k: [3, 3], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 2, 3, 19], k: [7, 7], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 5, 6, 1], k: [3, 5], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 7, 7, 613], k: [3, 3], strides: 1, pad: 'same', dilations: 1 },
  { x: [1, 14, 13, 613], k: [3, 3], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 1, 2, 29], k: [3, 3], strides: 1, pad: 'same', dilations: 1 },
];

const describeCase = (c: Case): string => `x=${c.x} k=${c.k} s=${c.strides} pad=${JSON.stringify(c.pad)} d=${c.dilations}`;

/** Forward (plain and with the fused bias), input and filter gradients of one case, as arrays. */
function depthwiseAll(c: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform([...c.k, c.x[3], 1], -1, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomUniform([c.x[3]], -1, 1, 'float32', 3) as tf.Tensor1D;
    const plain = tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations);
    // explicit pads pass through to the kernel (the op's typings only name 'same', 'valid' and numbers)
    const fused = tf.fused.depthwiseConv2d({ x, filter: w, strides: c.strides, pad: c.pad as 'same', dilations: c.dilations, bias });
    const dy = tf.randomUniform(plain.shape, -1, 1, 'float32', 4);
    // the gradient kernels directly: tfjs' depthwise gradient refuses dilations > 1, the kernels take them
    const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations };
    const dx = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, { ...attrs, inputShape: c.x }) as tf.Tensor;
    const dW = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
    return [plain, fused, dx, dW].map((t) => t.dataSync() as Float32Array);
  });
}

describe.skipIf(!available)('native depthwise kernels on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  it('run with the widest vector instruction set of this CPU', () => {
    expect(['avx512', 'avx2', 'base']).toContain(nativeKernelIsa());
  });

  for (const c of CASES) {
    it(`forward, fused bias, input and filter gradients match the wasm SIMD kernels: ${describeCase(c)}`, () => {
      useNativeGemm({ threads: 1, depthwise: false });
      const before = { ...nativeCalls };
      const wasm = depthwiseAll(c);
      expect(nativeCalls).toEqual(before);
      useNativeGemm({ threads: 1 });
      const native = depthwiseAll(c);
      // forward twice (plain, fused bias), each gradient once
      expect(nativeCalls).toEqual({ ...before, forward: before.forward + 2, backpropInput: before.backpropInput + 1, backpropFilter: before.backpropFilter + 1 });
      for (const [i, name] of ['forward', 'fused bias', 'input gradient', 'filter gradient'].entries()) {
        expect(relMaxDiff(native[i], wasm[i]), name).toBeLessThan(1e-5);
      }
    });
  }

  it('leave no tensors behind in a training-style loop', () => {
    useNativeGemm({ threads: 1 });
    const x = tf.randomUniform([2, 9, 9, 12], -1, 1, 'float32', 5);
    const w = tf.randomUniform([7, 7, 12, 1], -1, 1, 'float32', 6);
    const step = () => tf.tidy(() => tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same')))([x, w]).forEach((g) => g.dispose()));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

/** Plain-JS depthwise forward, input and filter gradients (float64 sums) for one geometry, the reference below. */
function reference(g: number[], x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array) {
  const [batch, inH, inW, C, outH, outW, kH, kW, sH, sW, dH, dW, pt, pl] = g;
  const out = new Float32Array(batch * outH * outW * C);
  const dx = new Float32Array(x.length);
  const dWt = new Float32Array(w.length);
  const dxSum = new Float64Array(x.length);
  const dwSum = new Float64Array(w.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++)
        for (let c = 0; c < C; c++) {
          const o = ((b * outH + oh) * outW + ow) * C + c;
          let s = bias[c];
          for (let fh = 0; fh < kH; fh++)
            for (let fw = 0; fw < kW; fw++) {
              const ih = oh * sH - pt + fh * dH;
              const iw = ow * sW - pl + fw * dW;
              if (ih < 0 || ih >= inH || iw < 0 || iw >= inW) continue;
              const xi = ((b * inH + ih) * inW + iw) * C + c;
              const wi = (fh * kW + fw) * C + c;
              s += x[xi] * w[wi];
              dxSum[xi] += dy[o] * w[wi];
              dwSum[wi] += dy[o] * x[xi];
            }
          out[o] = s;
        }
  dx.set(dxSum);
  dWt.set(dwSum);
  return { out, dx, dW: dWt };
}

/**
 * The addon called directly on a plain heap against the reference, once per instruction set this CPU runs: each is
 * a separate copy of the addon file, loaded with NEXTNETS_NATIVE_ISA naming it (a loaded addon keeps its choice).
 */
describe.skipIf(!available)('native depthwise kernels of every instruction set', () => {
  interface DepthwiseAddon {
    depthwiseForward(heap: ArrayBuffer, ...args: number[]): void;
    depthwiseBackpropInput(heap: ArrayBuffer, ...args: number[]): void;
    depthwiseBackpropFilter(heap: ArrayBuffer, ...args: number[]): void;
    kernelIsa(): string;
  }
  interface GeluAddon {
    gelu(heap: ArrayBuffer, x: number, y: number, n: number): void;
    geluGrad(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  }
  interface LayerNormAddon {
    layerNorm(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
    layerNormGrad(heap: ArrayBuffer, ...pointersRowsC: number[]): void;
  }
  const copies = new Map<string, { path: string; lib: DepthwiseAddon }>();
  // one copy per instruction set, loaded once (rewriting a loaded copy's file would change code mapped in this process)
  const load = (isa: string): DepthwiseAddon => {
    const loaded = copies.get(isa);
    if (loaded) return loaded.lib;
    const path = NATIVE_ADDON_PATH.replace(/\.node$/, `.${isa}-test-${process.pid}.node`);
    copyFileSync(NATIVE_ADDON_PATH, path);
    process.env.NEXTNETS_NATIVE_ISA = isa;
    try {
      const lib = createRequire(import.meta.url)(path) as DepthwiseAddon;
      copies.set(isa, { path, lib });
      return lib;
    } finally {
      delete process.env.NEXTNETS_NATIVE_ISA;
    }
  };
  afterAll(() => copies.forEach(({ path }) => rmSync(path, { force: true })));

  // batch, inH, inW, C, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft
  const geometries = [
    [2, 9, 10, 40, 9, 10, 7, 7, 1, 1, 1, 1, 3, 3],
    [1, 5, 19, 21, 5, 19, 7, 7, 1, 1, 1, 1, 3, 3],
    [1, 7, 9, 10, 4, 5, 3, 3, 2, 2, 1, 1, 1, 1],
    [2, 5, 13, 6, 5, 13, 1, 11, 1, 1, 1, 1, 0, 5],
    [1, 8, 8, 3, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2],
    [1, 3, 2, 17, 3, 2, 7, 7, 1, 1, 1, 1, 3, 3],
    // three-wide filters: EfficientNetV2's 3×3 with 613 channels at stride 1 and 2 (TF 'same': no top pad), rows
    // with no tap inside the input (bias only), a 2×3 filter, column stride 2 only, row dilation 2
    [2, 7, 7, 613, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1],
    [1, 14, 13, 613, 7, 7, 3, 3, 2, 2, 1, 1, 0, 1],
    [1, 2, 3, 21, 6, 7, 3, 3, 1, 1, 1, 1, 3, 3],
    [1, 6, 7, 37, 5, 7, 2, 3, 1, 1, 1, 1, 0, 1],
    [1, 9, 10, 20, 9, 5, 3, 3, 1, 2, 1, 1, 1, 0],
    [1, 9, 8, 18, 9, 8, 3, 3, 1, 1, 2, 1, 2, 1],
  ];
  it.each(['avx512', 'avx2', 'base'])('%s (where the CPU has it) matches a plain reference', (isa) => {
    const lib = load(isa);
    const chosen = lib.kernelIsa();
    // a CPU without the instruction set falls back to a lower one; 'base' is always honoured
    if (isa === 'base') expect(chosen).toBe('base');
    for (const g of geometries) {
      const [batch, inH, inW, C, outH, outW, kH, kW] = g;
      const sizes = [batch * inH * inW * C, kH * kW * C, C, batch * outH * outW * C];
      const { heap, xp, x, wp, w, bp, bias, dyp, dy, op, out, dxp, dx, dwp, dW } = heapOperands(sizes);
      const ref = reference(g, x, w, bias, dy);
      lib.depthwiseForward(heap, ...g, xp, wp, bp, op);
      lib.depthwiseBackpropInput(heap, ...g, dyp, wp, dxp);
      lib.depthwiseBackpropFilter(heap, ...g, xp, dyp, dwp);
      expect(relMaxDiff(out, ref.out), `forward ${g}`).toBeLessThan(1e-5);
      expect(relMaxDiff(dx, ref.dx), `input gradient ${g}`).toBeLessThan(1e-5);
      expect(relMaxDiff(dW, ref.dW), `filter gradient ${g}`).toBeLessThan(1e-5);
    }
  });

  it.each(['avx2', 'base'])('%s GELU and its gradient (where the CPU has it) match the default build', (isa) => {
    const lib = load(isa) as DepthwiseAddon & GeluAddon;
    const best = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as GeluAddon;
    for (const n of [1, 13, 16, 45, 1003]) {
      const heap = new ArrayBuffer(4 * (16 + 4 * n));
      const x = new Float32Array(heap, 64, n);
      const dy = new Float32Array(heap, 64 + 4 * n, n);
      for (let i = 0; i < n; i++) [x[i], dy[i]] = [6 * Math.sin(1.7 * i + n), Math.cos(0.3 * i)];
      const results = [lib, best].map((addon) => {
        addon.gelu(heap, 64, 64 + 8 * n, n);
        addon.geluGrad(heap, 64, 64 + 4 * n, 64 + 12 * n, n);
        return [new Float32Array(heap, 64 + 8 * n, n).slice(), new Float32Array(heap, 64 + 12 * n, n).slice()];
      });
      expect(relMaxDiff(results[0][0], results[1][0]), `gelu n=${n}`).toBeLessThan(1e-6);
      expect(relMaxDiff(results[0][1], results[1][1]), `geluGrad n=${n}`).toBeLessThan(1e-6);
    }
  });

  it.each(['avx2', 'base'])('%s LayerNorm and its gradient (where the CPU has it) match the default build', (isa) => {
    const lib = load(isa) as unknown as LayerNormAddon;
    const best = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as LayerNormAddon;
    for (const [rows, c] of [[7, 40], [3, 53], [5, 3]]) {
      const n = rows * c;
      // x, dy, y, dx: n floats; w, b, dw, db: c floats; mean, rstd: rows floats
      const heap = new ArrayBuffer(4 * (16 + 4 * n + 4 * c + 2 * rows));
      const at = (i: number) => 64 + 4 * i;
      const [x, dy, y, dx, w, b, dw, db, mean, rstd] = [0, n, 2 * n, 3 * n, 4 * n, 4 * n + c, 4 * n + 2 * c, 4 * n + 3 * c, 4 * n + 4 * c, 4 * n + 4 * c + rows];
      const view = new Float32Array(heap, 64);
      for (let i = 0; i < n; i++) [view[x + i], view[dy + i]] = [2 * Math.sin(1.3 * i) + 0.3, Math.cos(0.7 * i)];
      for (let i = 0; i < c; i++) [view[w + i], view[b + i]] = [1 + 0.5 * Math.sin(i), Math.cos(2 * i)];
      const results = [lib, best].map((addon) => {
        view.fill(0, dw, dw + 2 * c);
        addon.layerNorm(heap, at(x), at(w), at(b), at(y), at(mean), at(rstd), rows, c, 1e-6);
        addon.layerNormGrad(heap, at(dy), at(x), at(w), at(mean), at(rstd), at(dx), at(dw), at(db), rows, c);
        return [view.slice(y, y + n), view.slice(dx, dx + n), view.slice(dw, dw + 2 * c)];
      });
      for (let k = 0; k < 3; k++) expect(relMaxDiff(results[0][k], results[1][k]), `${isa} ${rows}×${c} output ${k}`).toBeLessThan(1e-5);
    }
  });

  it('names an operand outside the heap, or a bad stride, in one line instead of reading past it', () => {
    const lib = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as DepthwiseAddon;
    const heap = new ArrayBuffer(4096);
    const g = [1, 8, 8, 4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1];
    expect(() => lib.depthwiseForward(heap, ...g, 64, 0, 0, 3840)).toThrow(/^nextnets native: out \(256 floats at byte 3840\) is outside the heap of 4096 bytes$/);
    expect(() => lib.depthwiseBackpropFilter(heap, ...g, 3900, 64, 2048)).toThrow(/^nextnets native: x \(256 floats at byte 3900\) is outside the heap of 4096 bytes$/);
    expect(() => lib.depthwiseBackpropInput(heap, ...g, 64, 1 << 30, 2048)).toThrow(/^nextnets native: filter \(36 floats at byte 1073741824\) is outside/);
    expect(() => lib.depthwiseForward(heap, 1, 1e6, 1e6, 1e6, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0)).toThrow(/^nextnets native: x of depthwiseForward is larger than the heap of 4096 bytes$/);
    expect(() => lib.depthwiseForward(heap, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 64, 128, 0, 256)).toThrow(/^nextnets native depthwiseForward: strides and dilations must be at least 1$/);
    expect(() => lib.depthwiseForward(heap, ...g, 64, 0, 0)).toThrow(/^nextnets native: depthwiseForward takes 19 arguments$/);
    const gelu = lib as unknown as GeluAddon;
    expect(() => gelu.gelu(heap, 64, 2048, 600)).toThrow(/^nextnets native: y \(600 floats at byte 2048\) is outside the heap of 4096 bytes$/);
    const norm = lib as unknown as LayerNormAddon;
    expect(() => norm.layerNorm(heap, 64, 0, 0, 2048, 0, 0, 16, 40, 1e-6)).toThrow(/^nextnets native: y \(640 floats at byte 2048\) is outside the heap of 4096 bytes$/);
    expect(() => norm.layerNormGrad(heap, 64, 64, 0, 0, 0, 64, 4088, 0, 1, 4)).toThrow(/^nextnets native: dw \(4 floats at byte 4088\) is outside the heap of 4096 bytes$/);
    expect(() => gelu.geluGrad(heap, 2 ** 53, 0, 0, 1)).toThrow(/^nextnets native: x \(1 floats at byte 9007199254740992\) is outside the heap of 4096 bytes$/);
  });
});

const fusedGelu = (x: tf.Tensor) => tf.engine().runKernel('NextnetsGelu', { x }) as tf.Tensor;
const compositeGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

/** GELU and its gradient (through the fused kernels' registered gradient) on x scaled to ±4, as arrays. */
function geluBoth(gelu: (x: tf.Tensor) => tf.Tensor, n: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.mul(tf.randomUniform([n], -1, 1, 'float32', 7), 4);
    const dy = tf.randomUniform([n], -1, 1, 'float32', 8);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dy)))(x);
    return [gelu(x), grad].map((t) => t.dataSync() as Float32Array);
  });
}

describe.skipIf(!available)('native GELU kernels on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  // lengths: whole 32-float steps, one 16-float step, and tails of 1-15 elements
  it.each([1, 15, 16, 47, 1000, 4099])('GELU and its gradient on %i values match the wasm kernels and the composite on cpu', async (n) => {
    useNativeGemm({ threads: 1, gelu: false });
    const before = { ...nativeCalls };
    const wasm = geluBoth(fusedGelu, n);
    expect(nativeCalls).toEqual(before);
    useNativeGemm({ threads: 1 });
    const native = geluBoth(fusedGelu, n);
    // GELU twice (the value, and inside tf.grad), its gradient once
    expect(nativeCalls).toEqual({ ...before, gelu: before.gelu + 2, geluGrad: before.geluGrad + 1 });
    await setupBackend('cpu');
    const cpu = geluBoth(compositeGelu, n);
    await setupBackend('wasm');
    // the same formulas with fused multiply-adds (the wasm kernels' relaxed-SIMD build uses them too where the engine has it)
    expect(relMaxDiff(native[0], wasm[0])).toBeLessThan(1e-6);
    expect(relMaxDiff(native[1], wasm[1])).toBeLessThan(1e-6);
    // the tolerances of @nextnets/backend's own GELU tests against the composite
    expect(relMaxDiff(native[0], cpu[0])).toBeLessThan(1e-6);
    expect(relMaxDiff(native[1], cpu[1])).toBeLessThan(1e-5);
  });

  it('GELU agrees with the wasm kernel within 1e-7·|x| over [−10, 10]; NaN, +∞ and ±1e30 as in exact math', () => {
    const grid = Float32Array.from({ length: 200_001 }, (_, i) => -10 + i * 1e-4);
    const run = (values: Float32Array | number[]) => tf.tidy(() => fusedGelu(tf.tensor(values)).dataSync() as Float32Array);
    useNativeGemm({ threads: 1, gelu: false });
    const wasm = run(grid);
    useNativeGemm({ threads: 1 });
    const native = run(grid);
    let worst = 0;
    grid.forEach((x, i) => (worst = Math.max(worst, Math.abs(native[i] - wasm[i]) / Math.max(Math.abs(x), 1e-30))));
    expect(worst).toBeLessThan(1e-7);
    const special = run([Number.NaN, Number.POSITIVE_INFINITY, 1e30, -1e30]);
    expect(special[0]).toBeNaN();
    expect(special[1]).toBe(Number.POSITIVE_INFINITY);
    expect(special[2]).toBe(Math.fround(1e30));
    expect(Math.abs(special[3])).toBe(0);
  });
});

/** LayerNorm over the last axis (the fused kernel) and the gradients of x, weight and bias for a random dy, as arrays. */
function layerNormAll(shape: number[], eps: number): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 9), 3), 0.5);
    const weight = tf.randomNormal([c], 1, 0.5, 'float32', 10);
    const bias = tf.randomNormal([c], 0, 1, 'float32', 11);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 12);
    const norm = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      (tf.engine().runKernel('NextnetsLayerNorm', { x: xi, weight: wi, bias: bi }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0];
    const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(norm(xi, wi, bi), dy)))([x, weight, bias]);
    return [norm(x, weight, bias), ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe.skipIf(!available)('native LayerNorm kernels on the wasm heap', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(() => stopNativeGemm());

  // channel counts: 16-float vectors with 4-float and single tails (40, 53, 21), 4-floats only (8), single only (3)
  it.each([
    [[2, 7, 5, 40], 1e-6],
    [[37, 53], 1e-5],
    [[3, 4, 21], 1e-6],
    [[11, 8], 1e-3],
    [[5, 3], 1e-6],
    [[4, 320], 1e-6],
  ])('LayerNorm and its gradients on %j (eps %s) match the wasm kernels', (shape, eps) => {
    useNativeGemm({ threads: 1, layerNorm: false });
    const before = { ...nativeCalls };
    const wasm = layerNormAll(shape, eps);
    expect(nativeCalls).toEqual(before);
    useNativeGemm({ threads: 1 });
    const native = layerNormAll(shape, eps);
    // the value twice (once inside tf.grads), the gradient kernel once
    expect(nativeCalls).toEqual({ ...before, layerNorm: before.layerNorm + 2, layerNormGrad: before.layerNormGrad + 1 });
    for (const [i, name] of ['value', 'dx', 'dweight', 'dbias'].entries()) expect(relMaxDiff(native[i], wasm[i]), name).toBeLessThan(1e-5);
  });
});
