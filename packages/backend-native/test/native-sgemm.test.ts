import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { NATIVE_ADDON_PATH } from '../src/index';
import { available } from './availability';

// The addon's own AVX-512 GEMM (native/sgemm_avx512.c) against OpenBLAS and a float64 reference, called on a plain
// ArrayBuffer as the wasm heap. The addon runs its own kernel with one OpenBLAS thread on an AVX-512 CPU and OpenBLAS
// with more threads, so the thread count switches between them. Shapes are off the 8-row × 32-column tiles and the
// 256-deep and 512-wide blocks on purpose.
interface Addon {
  gemmNN(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, relu: number, accumulate: number): void;
  gemmNT(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number): void;
  setThreads(threads: number): number;
  gemmKernel(): string;
}


/** max |a − b| over max |b|, with the scale at least 1 (a relu or k = 0 may leave C all zeros). */
function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
const addon = available ? (createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon) : null;

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case {
  m: number;
  n: number;
  k: number;
  form: 'A' | 'Aᵀ' | 'A·Bᵀ';
  bias: boolean;
  accumulate: boolean;
  relu: boolean;
}

/** C of one case computed by the addon with `threads` OpenBLAS threads, and the float64 reference. */
function run(lib: Addon, t: Case, threads: number): { c: Float32Array; reference: Float64Array; kernel: string } {
  const { m, n, k, form } = t;
  const a = values(m * k, 1 + m), b = values(k * n, 2 + n), bias = values(n, 3), c0 = values(m * n, 4 + k);
  // A at byte 64, then B, bias, C, each 4 bytes past a multiple of 64 so nothing is vector-aligned
  const offsets: number[] = [];
  let at = 68;
  for (const size of [a.length, b.length, bias.length, c0.length]) {
    offsets.push(at);
    at += Math.ceil((size * 4 + 4) / 64) * 64 + 4;
  }
  const heap = new ArrayBuffer(at + 64);
  const [aAt, bAt, biasAt, cAt] = offsets;
  new Float32Array(heap, aAt, a.length).set(a);
  new Float32Array(heap, bAt, b.length).set(b);
  new Float32Array(heap, biasAt, n).set(bias);
  new Float32Array(heap, cAt, m * n).set(c0);
  // op(A)[i, p] and op(B)[p, j] in each form: A [m, k] or A [k, m] read transposed; B [k, n] or B [n, k]
  const opA = form === 'Aᵀ' ? (i: number, p: number) => a[p * m + i] : (i: number, p: number) => a[i * k + p];
  const opB = form === 'A·Bᵀ' ? (p: number, j: number) => b[j * k + p] : (p: number, j: number) => b[p * n + j];
  const accumulate = t.accumulate && form !== 'A·Bᵀ';
  const reference = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = (accumulate ? c0[i * n + j] : 0) + (t.bias ? bias[j] : 0);
      for (let p = 0; p < k; p++) sum += opA(i, p) * opB(p, j);
      reference[i * n + j] = t.relu ? Math.max(sum, 0) : sum;
    }
  }
  lib.setThreads(threads);
  const kernel = lib.gemmKernel();
  const biasArg = t.bias ? biasAt : 0;
  if (form === 'A·Bᵀ') lib.gemmNT(heap, aAt, bAt, cAt, biasArg, m, n, k, Number(t.relu));
  else if (form === 'Aᵀ') lib.gemmNN(heap, aAt, bAt, cAt, biasArg, m, n, k, 1, m, Number(t.relu), Number(accumulate));
  else lib.gemmNN(heap, aAt, bAt, cAt, biasArg, m, n, k, k, 1, Number(t.relu), Number(accumulate));
  return { c: new Float32Array(heap, cAt, m * n).slice(), reference, kernel };
}

const SIZES = [1, 7, 9, 17, 33, 100];
const cases: Case[] = [];
let i = 0;
for (const m of SIZES) {
  for (const n of SIZES) {
    for (const form of ['A', 'Aᵀ', 'A·Bᵀ'] as const) {
      const k = SIZES[(i * 5 + 3) % SIZES.length];
      cases.push({ m, n, k, form, bias: i % 2 === 0, accumulate: i % 3 !== 0, relu: i % 4 === 1 });
      i++;
    }
  }
}
// past one 256-deep block and one 512-wide block, k = 0 (bias and accumulation only)
cases.push({ m: 19, n: 530, k: 300, form: 'A', bias: true, accumulate: true, relu: true });
cases.push({ m: 45, n: 50, k: 600, form: 'Aᵀ', bias: false, accumulate: true, relu: false });
cases.push({ m: 23, n: 529, k: 257, form: 'A·Bᵀ', bias: true, accumulate: false, relu: true });
cases.push({ m: 9, n: 17, k: 0, form: 'A', bias: true, accumulate: true, relu: true });
cases.push({ m: 9, n: 17, k: 0, form: 'A·Bᵀ', bias: false, accumulate: false, relu: false });

describe.skipIf(!available)('the addon’s own AVX-512 GEMM', () => {
  afterAll(() => addon?.setThreads(1));

  it('runs with one OpenBLAS thread on an AVX-512 CPU (and OpenBLAS with two)', () => {
    const lib = addon as Addon;
    lib.setThreads(2);
    expect(lib.gemmKernel()).toBe('openblas');
    lib.setThreads(1);
    const avx512 = process.env.NEXTNETS_NATIVE_SGEMM !== 'openblas' && /\bavx512f\b/.test(cpuFlags());
    expect(lib.gemmKernel()).toBe(avx512 ? 'avx512' : 'openblas');
  });

  it.each(cases.map((t) => [`${t.m}×${t.k}×${t.n} ${t.form}${t.bias ? ' +bias' : ''}${t.accumulate ? ' +=C' : ''}${t.relu ? ' relu' : ''}`, t] as const))(
    '%s matches OpenBLAS and the float64 reference',
    (_name, t) => {
      const lib = addon as Addon;
      const own = run(lib, t, 1);
      const blas = run(lib, t, 2);
      expect(blas.kernel).toBe('openblas');
      expect(relMaxDiff(own.c, own.reference)).toBeLessThan(1e-5);
      expect(relMaxDiff(own.c, blas.c)).toBeLessThan(1e-5);
    },
  );

  it('keeps a NaN through the ReLU, as OpenBLAS with the separate ReLU pass does', () => {
    const lib = addon as Addon;
    const heap = new ArrayBuffer(4 * (2 * 3 + 3 * 17 + 2 * 17));
    const f = new Float32Array(heap);
    f.fill(-1);
    f[0] = Number.NaN; // A[0, 0]: row 0 of C is NaN, row 1 is (−1)·(−1)·3 = 3
    lib.setThreads(1);
    lib.gemmNN(heap, 0, 4 * 6, 4 * (6 + 51), 0, 2, 17, 3, 3, 1, 1, 0);
    const c = new Float32Array(heap, 4 * (6 + 51), 34);
    expect(Array.from(c.subarray(0, 17)).every(Number.isNaN)).toBe(true);
    expect(Array.from(c.subarray(17))).toEqual(new Array(17).fill(3));
  });

  it('runs in worker threads (its packing buffer is per thread) with the results of the main thread', async () => {
    // each worker loads the addon and computes the same 50×300×70 A·B on its own heap, twice
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const lib = require(workerData.path);
      lib.setThreads(1);
      const heap = new ArrayBuffer(4 * (50 * 300 + 300 * 70 + 50 * 70));
      const f = new Float32Array(heap);
      for (let i = 0; i < 50 * 300 + 300 * 70; i++) f[i] = ((i * 37) % 101) / 50 - 1;
      const c = 4 * (50 * 300 + 300 * 70);
      lib.gemmNN(heap, 0, 4 * 50 * 300, c, 0, 50, 70, 300, 300, 1, 0, 0);
      lib.gemmNN(heap, 0, 4 * 50 * 300, c, 0, 50, 70, 300, 300, 1, 0, 1);
      parentPort.postMessage({ kernel: lib.gemmKernel(), c: new Float32Array(heap, c, 50 * 70).slice() });`;
    const inWorker = () =>
      new Promise<{ kernel: string; c: Float32Array }>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { path: NATIVE_ADDON_PATH } });
        worker.once('message', (message: { kernel: string; c: Float32Array }) => {
          resolve(message);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    const results = await Promise.all([inWorker(), inWorker()]);
    const lib = addon as Addon;
    lib.setThreads(2);
    const a = new Float32Array(50 * 300 + 300 * 70).map((_, i) => ((i * 37) % 101) / 50 - 1);
    const heap = new ArrayBuffer(4 * (a.length + 50 * 70));
    new Float32Array(heap).set(a);
    lib.gemmNN(heap, 0, 4 * 50 * 300, 4 * a.length, 0, 50, 70, 300, 300, 1, 0, 0);
    lib.gemmNN(heap, 0, 4 * 50 * 300, 4 * a.length, 0, 50, 70, 300, 300, 1, 0, 1);
    const blas = new Float32Array(heap, 4 * a.length, 50 * 70);
    lib.setThreads(1);
    for (const { kernel, c } of results) {
      expect(kernel).toBe(lib.gemmKernel());
      expect(relMaxDiff(c, blas)).toBeLessThan(1e-5);
    }
  });
});

/** The CPU's flags from /proc/cpuinfo ('' elsewhere). */
function cpuFlags(): string {
  try {
    return createRequire(import.meta.url)('node:fs').readFileSync('/proc/cpuinfo', 'utf8') as string;
  } catch {
    return '';
  }
}
