/**
 * @nextnets/backend-native: the matrix products of @nextnets/backend's wasm kernels (every matmul and the dense
 * convolution gradients) computed by OpenBLAS through a small Node-API addon, in place on the wasm heap. Node only;
 * where the addon was not built (no compiler, no OpenBLAS, not Linux) `useNativeGemm` returns false with the reason
 * and the wasm kernels stay in use.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setHeapKernelProvider, type HeapKernelProvider, type HeapKernels } from '@nextnets/backend';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The addon's functions (native/heap_gemm.c); pointers are byte offsets into `heap`. */
interface NativeAddon {
  gemmNN(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, relu: number, accumulate: number): void;
  gemmNT(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number): void;
  setThreads(threads: number): number;
  // native/norm_act.c; its groups are offered only where the loops run vectorised (AVX2 or AVX-512)
  normActVectorized: boolean;
  batchNorm(heap: ArrayBuffer, x: number, w: number, b: number, y: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormGrad(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
  batchNormSilu(heap: ArrayBuffer, x: number, w: number, b: number, z: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormSiluGrad(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
  silu(heap: ArrayBuffer, x: number, y: number, n: number): void;
  siluGrad(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
}

/** Where the install/build script writes the addon (src/ and dist/ both sit one level below the package root). */
export const NATIVE_ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'nextnets_native.node');

let addon: NativeAddon | null | undefined;
let unavailableReason = '';

/** The addon, loaded once; null (with `nativeGemmStatus()` saying why) when it is absent or does not load. */
function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.NEXTNETS_NATIVE === '0') unavailableReason = 'switched off by NEXTNETS_NATIVE=0';
  else {
    try {
      addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      unavailableReason = code === 'MODULE_NOT_FOUND' ? `not built (${NATIVE_ADDON_PATH} is missing; see the package README)` : `does not load: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return addon;
}

/** The wasm heap as a plain ArrayBuffer, or null for a shared (threaded) memory, which the addon does not take. */
function plainHeap(backend: BackendWasm): ArrayBuffer | null {
  // emscripten keeps HEAPU8 current across memory growth (its typings omit it)
  const buffer = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
  return buffer instanceof ArrayBuffer ? buffer : null;
}

/** The addon's kernels bound to one backend's heap; the buffer is looked up per call because a memory growth replaces it. */
function boundKernels(lib: NativeAddon, backend: BackendWasm): HeapKernels {
  const gemms: HeapKernels = {
    gemmNN: (a, b, c, bias, m, n, k, aRow, aCol, relu, accumulate) => lib.gemmNN(plainHeap(backend) as ArrayBuffer, a, b, c, bias, m, n, k, aRow, aCol, relu, accumulate),
    gemmNT: (a, b, c, bias, m, n, k, relu) => lib.gemmNT(plainHeap(backend) as ArrayBuffer, a, b, c, bias, m, n, k, relu),
  };
  if (!lib.normActVectorized) return gemms;
  return {
    ...gemms,
    batchNorm: {
      batchNorm: (x, w, b, y, mean, variance, scale, rows, c, eps) => lib.batchNorm(plainHeap(backend) as ArrayBuffer, x, w, b, y, mean, variance, scale, rows, c, eps),
      batchNormGrad: (...args) => lib.batchNormGrad(plainHeap(backend) as ArrayBuffer, ...args),
    },
    batchNormSilu: {
      batchNormSilu: (x, w, b, z, mean, variance, scale, rows, c, eps) => lib.batchNormSilu(plainHeap(backend) as ArrayBuffer, x, w, b, z, mean, variance, scale, rows, c, eps),
      batchNormSiluGrad: (...args) => lib.batchNormSiluGrad(plainHeap(backend) as ArrayBuffer, ...args),
    },
    silu: {
      silu: (x, y, n) => lib.silu(plainHeap(backend) as ArrayBuffer, x, y, n),
      siluGrad: (x, dy, dx, n) => lib.siluGrad(plainHeap(backend) as ArrayBuffer, x, dy, dx, n),
    },
  };
}

/** The kernels bound to each backend, made on first use. */
const bound = new WeakMap<BackendWasm, HeapKernels>();

/** The provider `useNativeGemm` registers (the addon is loaded by then); null for a shared heap. */
const nativeProvider: HeapKernelProvider = (owner) => {
  const backend = owner as BackendWasm;
  if (addon == null || plainHeap(backend) == null) return null;
  let kernels = bound.get(backend);
  if (kernels == null) bound.set(backend, (kernels = boundKernels(addon, backend)));
  return kernels;
};

export interface NativeGemmOptions {
  /** OpenBLAS threads (process-wide): the CPU count by default; 1 per replica when replicas share the cores. */
  threads?: number;
}

let threadsInUse = 0;

/**
 * Routes @nextnets/backend's heap GEMMs through OpenBLAS from now on (call after `setupBackend('wasm')`; calling again
 * only changes the thread count). Returns false, changing nothing, when the addon is unavailable.
 */
export function useNativeGemm(options: NativeGemmOptions = {}): boolean {
  const lib = loadAddon();
  if (lib == null) return false;
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`useNativeGemm: threads must be a positive integer, got ${threads}`);
  threadsInUse = lib.setThreads(threads);
  setHeapKernelProvider(nativeProvider);
  return true;
}

/** Back to the wasm GEMMs. */
export function stopNativeGemm(): void {
  setHeapKernelProvider(null);
  threadsInUse = 0;
}

/** OpenBLAS threads of the GEMMs in use, 0 while the wasm GEMMs run. */
export function nativeGemmThreads(): number {
  return threadsInUse;
}

/** One line: whether the addon is available and, if so, the OpenBLAS thread count in use. */
export function nativeGemmStatus(): string {
  const lib = loadAddon();
  if (lib == null) return `native GEMM unavailable: ${unavailableReason}`;
  return threadsInUse > 0 ? `native GEMM: OpenBLAS, ${threadsInUse} thread${threadsInUse === 1 ? '' : 's'}` : 'native GEMM available (not in use)';
}

/** True when the addon is built and loads. */
export function nativeGemmAvailable(): boolean {
  return loadAddon() != null;
}
