/**
 * The addon's own AVX-512 GEMM against OpenBLAS, single-threaded, on ConvNeXt-atto's 1×1-conv shapes at 224², batch 8:
 * the forward products (gemmNN + bias), the input gradients (gemmNT) and the weight gradients (gemmNN with Aᵀ, in the
 * k-blocks @nextnets/backend's transposedTimes uses), and a few filter taps of dense 3×3 convolutions (C += A·B).
 * The kernel is picked once per process (NEXTNETS_NATIVE_SGEMM), so every round runs one child process per kernel,
 * alternating; the table shows the best GMAC/s of all rounds. Run from packages/backend-native:
 * `node --conditions=@nextnets/source --import tsx bench/gemm.ts [--rounds 4]`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NATIVE_ADDON_PATH } from '../src/index';

interface Addon {
  gemmNN(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, relu: number, accumulate: number): void;
  gemmNT(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number): void;
  setThreads(threads: number): number;
  gemmKernel?(): string;
}

/** m × k × n of the forward products (m = batch·H·W rows). */
const FORWARD: [number, number, number][] = [
  [25088, 40, 160], [25088, 160, 40], [6272, 80, 320], [6272, 320, 80],
  [1568, 160, 640], [1568, 640, 160], [392, 320, 1280], [392, 1280, 320],
];
/** m × k × n of one filter tap of a dense 3×3 convolution (@nextnets/backend's shifted_conv.ts), accumulated into C. */
const TAPS: [number, number, number][] = [[8 * 58 * 58, 32, 64], [8 * 30 * 30, 96, 96], [8 * 16 * 16, 192, 192]];
/** The k-block of a weight gradient Aᵀ·B, A [k, m], B [k, n] (packages/backend/src/kernels/heap_gemm.ts). */
const tnBlock = (m: number, n: number) => Math.max(4, Math.floor(65536 / (m + n)));

type Op = { name: string; m: number; k: number; n: number; call: (lib: Addon, heap: ArrayBuffer) => void };

function ops(): Op[] {
  const list: Op[] = [];
  const [a, b, c, bias] = [0, 64 << 20, 128 << 20, 192 << 20]; // byte offsets in a 256 MiB heap
  for (const [m, k, n] of FORWARD) {
    list.push({ name: 'NN+bias', m, k, n, call: (lib, heap) => lib.gemmNN(heap, a, b, c, bias, m, n, k, k, 1, 0, 0) });
    list.push({ name: 'NT', m, k: n, n: k, call: (lib, heap) => lib.gemmNT(heap, a, b, c, 0, m, k, n, 0) });
    // weight gradient of the forward [m, k]·[k, n]: Aᵀ·dY with A [rows, k], dY [rows, n], rows in blocks
    const kb = tnBlock(k, n);
    list.push({ name: 'TN (k-block)', m: k, k: kb, n, call: (lib, heap) => lib.gemmNN(heap, a, b, c, 0, k, n, kb, 1, k, 0, 1) });
  }
  for (const [m, k, n] of TAPS) list.push({ name: '3×3 tap +=C', m, k, n, call: (lib, heap) => lib.gemmNN(heap, a, b, c, 0, m, n, k, k, 1, 0, 1) });
  return list;
}

/** Best GMAC/s of each op over a few timed batches of about 0.1 s each, in this process's kernel. */
function measure(): { kernel: string; gmacs: number[] } {
  const lib = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon;
  lib.setThreads(1);
  const heap = new ArrayBuffer(256 << 20);
  const floats = new Float32Array(heap);
  for (let i = 0; i < floats.length; i++) floats[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const gmacs = ops().map((op) => {
    const macs = op.m * op.k * op.n;
    const reps = Math.max(1, Math.round(1e7 / macs));
    let best = Infinity;
    for (let t = 0; t < 4; t++) {
      const start = performance.now();
      for (let r = 0; r < reps; r++) op.call(lib, heap);
      best = Math.min(best, (performance.now() - start) / reps);
    }
    return macs / best / 1e6;
  });
  return { kernel: lib.gemmKernel?.() ?? 'openblas', gmacs };
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(measure()));
} else {
  const argv = process.argv.slice(2);
  const rounds = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 4;
  const best: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const choice of ['auto', 'openblas']) {
      const env = { ...process.env, NEXTNETS_NATIVE_SGEMM: choice };
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child'], { env, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`bench child failed: ${child.stderr.trim().split('\n')[0]}`);
      const { kernel, gmacs } = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { kernel: string; gmacs: number[] };
      const key = choice === 'openblas' ? 'openblas' : kernel;
      best[key] = (best[key] ?? gmacs).map((g, i) => Math.max(g, gmacs[i]));
    }
  }
  const own = best.avx512;
  if (own == null) console.log('the own AVX-512 GEMM does not run here (no AVX-512F, or NEXTNETS_NATIVE_SGEMM=openblas); OpenBLAS only');
  console.log('op            m × k × n            OpenBLAS  own AVX-512  (GMAC/s, best of rounds, 1 thread)');
  ops().forEach((op, i) => {
    const shape = `${op.m} × ${op.k} × ${op.n}`;
    console.log(`${op.name.padEnd(13)} ${shape.padEnd(20)} ${best.openblas[i].toFixed(1).padStart(8)}  ${own ? own[i].toFixed(1).padStart(11) : '-'}`);
  });
}
