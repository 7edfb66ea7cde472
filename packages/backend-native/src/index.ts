/**
 * @nextnets/backend-native: the matrix products of @nextnets/backend's wasm kernels (every matmul and the dense
 * convolution gradients) computed by OpenBLAS, and its depthwise convolutions, GELU and LayerNorm by AVX-512/AVX2
 * loops, through a small Node-API addon, in place on the wasm heap. Node only;
 * where the addon was not built (no compiler, no OpenBLAS, not Linux) `useNativeGemm` returns false with the reason
 * and the wasm kernels stay in use.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setHeapKernelProvider, type DepthwiseExports, type GeluExports, type HeapKernelProvider, type HeapKernels, type Im2colConvExports, type LayerNormExports } from '@nextnets/backend';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The addon's functions (native/heap_gemm.c and the other kernel groups); pointers are byte offsets into `heap`. */
interface NativeAddon {
  gemmNN(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, relu: number, accumulate: number): void;
  gemmNT(heap: ArrayBuffer, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number): void;
  setThreads(threads: number): number;
  coreName(): string;
  // "avx512" when the products run on the addon's own AVX-512 kernel (one OpenBLAS thread, an AVX-512 CPU), else "openblas"
  gemmKernel?(): string;
  // native/depthwise.c (absent from an addon built before it): heap, 14 geometry numbers, then byte offsets; kernelIsa:
  // the instruction set of the depthwise, GELU and LayerNorm kernels
  depthwiseForward?(heap: ArrayBuffer, ...geometryXWBiasOut: number[]): void;
  depthwiseBackpropInput?(heap: ArrayBuffer, ...geometryDyWDx: number[]): void;
  depthwiseBackpropFilter?(heap: ArrayBuffer, ...geometryXDyDw: number[]): void;
  kernelIsa?(): string;
  // native/gelu.c: byte offsets and the element count
  gelu?(heap: ArrayBuffer, x: number, y: number, n: number): void;
  geluGrad?(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  // native/layer_norm.c: byte offsets, rows, channels (and eps)
  layerNorm?(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
  layerNormGrad?(heap: ArrayBuffer, ...pointersRowsC: number[]): void;
  // native/norm_act.c: byte offsets, rows, channels (and eps); its groups are offered only where the loops run
  // vectorised (AVX2 or AVX-512)
  normActVectorized?: boolean;
  batchNorm?(heap: ArrayBuffer, x: number, w: number, b: number, y: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormGrad?(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
  batchNormSilu?(heap: ArrayBuffer, x: number, w: number, b: number, z: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormSiluGrad?(heap: ArrayBuffer, ...pointersRowsCEps: number[]): void;
  silu?(heap: ArrayBuffer, x: number, y: number, n: number): void;
  siluGrad?(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  // native/im2col_conv.c: heap, 15 geometry numbers (the depthwise ones, then the output channels), byte offsets
  im2colConvForward?(heap: ArrayBuffer, ...geometryXWBiasOut: number[]): void;
  im2colConvBackpropInput?(heap: ArrayBuffer, ...geometryDyWDx: number[]): void;
  im2colConvBackpropFilter?(heap: ArrayBuffer, ...geometryXDyDw: number[]): void;
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

/** `fn` with the backend's heap as its first argument, looked up per call because a memory growth replaces it. */
function onHeap<A extends number[]>(backend: BackendWasm, fn: (heap: ArrayBuffer, ...args: A) => void): (...args: A) => void {
  return (...args) => fn(plainHeap(backend) as ArrayBuffer, ...args);
}

/**
 * The addon's depthwise kernels bound to one backend's heap, with the wasm SIMD module's calling convention:
 * setGeometry keeps the 14 geometry numbers for the calls that follow it. Null for an addon built without them.
 */
function boundDepthwise(lib: NativeAddon, backend: BackendWasm): DepthwiseExports | null {
  const { depthwiseForward: forward, depthwiseBackpropInput: input, depthwiseBackpropFilter: filter } = lib;
  if (forward == null || input == null || filter == null) return null;
  const [onForward, onInput, onFilter] = [forward, input, filter].map((fn) => onHeap(backend, fn));
  let geometry: number[] = [];
  return {
    setGeometry: (...values) => {
      geometry = values;
    },
    forward: (x, w, bias, out) => onForward(...geometry, x, w, bias, out),
    backpropInput: (dy, w, dx) => onInput(...geometry, dy, w, dx),
    backpropFilter: (x, dy, dW) => onFilter(...geometry, x, dy, dW),
  };
}

/** The addon's im2col convolutions bound to one backend's heap; null for an addon built without them. */
function boundIm2colConv(lib: NativeAddon, backend: BackendWasm): Im2colConvExports | null {
  const { im2colConvForward: forward, im2colConvBackpropInput: input, im2colConvBackpropFilter: filter } = lib;
  if (forward == null || input == null || filter == null) return null;
  const [onForward, onInput, onFilter] = [forward, input, filter].map((fn) => onHeap(backend, fn));
  return {
    forward: (geometry, x, w, bias, out) => onForward(...geometry, x, w, bias, out),
    backpropInput: (geometry, dy, w, dx) => onInput(...geometry, dy, w, dx),
    backpropFilter: (geometry, x, dy, dW) => onFilter(...geometry, x, dy, dW),
  };
}

/** The addon's GELU kernels bound to one backend's heap; null for an addon built without them. */
function boundGelu(lib: NativeAddon, backend: BackendWasm): GeluExports | null {
  const { gelu, geluGrad } = lib;
  if (gelu == null || geluGrad == null) return null;
  return {
    gelu: onHeap(backend, gelu),
    geluGrad: onHeap(backend, geluGrad),
  };
}

/** The addon's LayerNorm kernels bound to one backend's heap; null for an addon built without them. */
function boundLayerNorm(lib: NativeAddon, backend: BackendWasm): LayerNormExports | null {
  const { layerNorm, layerNormGrad } = lib;
  if (layerNorm == null || layerNormGrad == null) return null;
  return {
    layerNorm: onHeap(backend, layerNorm),
    layerNormGrad: onHeap(backend, layerNormGrad),
  };
}

/**
 * The addon's BatchNorm, BatchNorm→SiLU and SiLU kernels bound to one backend's heap; null for an addon built without
 * them, or where their loops do not run vectorised (no AVX2: the wasm kernels are faster there).
 */
function boundNormAct(lib: NativeAddon, backend: BackendWasm): Pick<HeapKernels, 'batchNorm' | 'batchNormSilu' | 'silu'> | null {
  const { batchNorm, batchNormGrad, batchNormSilu, batchNormSiluGrad, silu, siluGrad } = lib;
  if (lib.normActVectorized !== true) return null;
  if (batchNorm == null || batchNormGrad == null || batchNormSilu == null || batchNormSiluGrad == null || silu == null || siluGrad == null) return null;
  return {
    batchNorm: { batchNorm: onHeap(backend, batchNorm), batchNormGrad: onHeap(backend, batchNormGrad) },
    batchNormSilu: { batchNormSilu: onHeap(backend, batchNormSilu), batchNormSiluGrad: onHeap(backend, batchNormSiluGrad) },
    silu: { silu: onHeap(backend, silu), siluGrad: onHeap(backend, siluGrad) },
  };
}

/** The kernel groups other than the GEMMs, each switched by the `NativeGemmOptions` field of its name. */
type OptionalGroups = Pick<HeapKernels, 'depthwise' | 'gelu' | 'layerNorm' | 'batchNorm' | 'batchNormSilu' | 'silu' | 'im2colConv'>;
const OPTIONAL_GROUPS = ['depthwise', 'gelu', 'layerNorm', 'batchNorm', 'batchNormSilu', 'silu', 'im2colConv'] as const;

/** The groups in use (`useNativeGemm` options), and their names joined: what a backend's given kernels were made for. */
const groupsInUse: Record<keyof OptionalGroups, boolean> = { depthwise: true, gelu: true, layerNorm: true, batchNorm: true, batchNormSilu: true, silu: true, im2colConv: true };
let groupsKey = '';

/** One backend's bound kernels, and the object given for the groups in use (remade when they change). */
interface BoundKernels {
  gemms: HeapKernels;
  groups: OptionalGroups;
  given: HeapKernels;
  givenFor: string;
}

/** The addon's kernels bound to one backend's heap. */
function boundKernels(lib: NativeAddon, backend: BackendWasm): BoundKernels {
  const gemms: HeapKernels = {
    gemmNN: onHeap(backend, lib.gemmNN),
    gemmNT: onHeap(backend, lib.gemmNT),
  };
  const groups: OptionalGroups = {
    depthwise: boundDepthwise(lib, backend) ?? undefined,
    gelu: boundGelu(lib, backend) ?? undefined,
    layerNorm: boundLayerNorm(lib, backend) ?? undefined,
    ...boundNormAct(lib, backend),
    im2colConv: boundIm2colConv(lib, backend) ?? undefined,
  };
  return { gemms, groups, given: gemms, givenFor: '' };
}

/** The kernels bound to each backend, made on first use. */
const bound = new WeakMap<BackendWasm, BoundKernels>();

/** The provider `useNativeGemm` registers (the addon is loaded by then); null for a shared heap. */
const nativeProvider: HeapKernelProvider = (owner) => {
  const backend = owner as BackendWasm;
  if (addon == null || plainHeap(backend) == null) return null;
  let kernels = bound.get(backend);
  if (kernels == null) bound.set(backend, (kernels = boundKernels(addon, backend)));
  if (kernels.givenFor !== groupsKey) {
    const given: HeapKernels = { ...kernels.gemms };
    for (const name of OPTIONAL_GROUPS) if (groupsInUse[name]) Object.assign(given, { [name]: kernels.groups[name] });
    kernels.given = given;
    kernels.givenFor = groupsKey;
  }
  return kernels.given;
};

export interface NativeGemmOptions {
  /** OpenBLAS threads (process-wide): the CPU count by default; 1 per replica when replicas share the cores. */
  threads?: number;
  /**
   * Depthwise convolutions (forward with bias, both gradients) by the addon's AVX-512/AVX2 kernels too: true by
   * default; false keeps the wasm SIMD ones (for A/B measurements).
   */
  depthwise?: boolean;
  /** Exact GELU and its gradient by the addon's kernels too: true by default; false keeps the wasm ones. */
  gelu?: boolean;
  /** LayerNorm over the last axis and its gradient by the addon's kernels too: true by default. */
  layerNorm?: boolean;
  /** Training-mode BatchNorm and its gradient by the addon's kernels too: true by default. */
  batchNorm?: boolean;
  /** BatchNorm followed by SiLU (EfficientNet), forward and gradient, as one native kernel each: true by default. */
  batchNormSilu?: boolean;
  /** SiLU and its gradient by the addon's kernels too: true by default. */
  silu?: boolean;
  /**
   * Dense convolutions with fewer than 64 input channels, or up to 128 when strided (other than 1×1: stems,
   * EfficientNet's first stages, downsampling layers), forward and both gradients, by the addon's im2col kernels
   * (patches of a block of pixels, one GEMM per block): true by default; false keeps @nextnets/backend's other routes
   * (for A/B measurements).
   */
  im2colConv?: boolean;
}

let threadsInUse = 0;

/**
 * Routes @nextnets/backend's heap GEMMs through OpenBLAS, and its depthwise, GELU and LayerNorm kernels through the
 * addon's, from now on (call after `setupBackend('wasm')`; calling again changes the thread count and the groups).
 * Returns false, changing nothing, when the addon is unavailable.
 */
export function useNativeGemm(options: NativeGemmOptions = {}): boolean {
  const lib = loadAddon();
  if (lib == null) return false;
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`useNativeGemm: threads must be a positive integer, got ${threads}`);
  threadsInUse = lib.setThreads(threads);
  for (const name of OPTIONAL_GROUPS) groupsInUse[name] = options[name] ?? true;
  groupsKey = OPTIONAL_GROUPS.filter((name) => groupsInUse[name]).join();
  setHeapKernelProvider(nativeProvider);
  return true;
}

/** Back to the wasm kernels. */
export function stopNativeGemm(): void {
  setHeapKernelProvider(null);
  threadsInUse = 0;
}

/** OpenBLAS threads of the GEMMs in use, 0 while the wasm GEMMs run. */
export function nativeGemmThreads(): number {
  return threadsInUse;
}

/**
 * What computes the matrix products now, for reports: 'AVX-512' (the addon's own GEMM), 'OpenBLAS', or null while the
 * wasm GEMMs run.
 */
export function nativeGemmKernel(): 'AVX-512' | 'OpenBLAS' | null {
  if (threadsInUse === 0 || addon == null) return null;
  return addon.gemmKernel?.() === 'avx512' ? 'AVX-512' : 'OpenBLAS';
}

/**
 * One line: whether the addon is available and, if so, the OpenBLAS thread count in use, and "own AVX-512 kernel"
 * when the products run on the addon's AVX-512 GEMM (one thread on an AVX-512 CPU, NEXTNETS_NATIVE_SGEMM unset).
 */
export function nativeGemmStatus(): string {
  const lib = loadAddon();
  if (lib == null) return `native GEMM unavailable: ${unavailableReason}`;
  if (threadsInUse === 0) return 'native GEMM available (not in use)';
  const own = lib.gemmKernel?.() === 'avx512' ? 'own AVX-512 kernel, ' : '';
  return `native GEMM: ${own}OpenBLAS (${lib.coreName()} kernels), ${threadsInUse} thread${threadsInUse === 1 ? '' : 's'}`;
}

/**
 * The instruction set of the addon's depthwise, GELU and LayerNorm kernels on this CPU ('avx512', 'avx2' or 'base'), or
 * null when the addon is unavailable or was built without them.
 */
export function nativeKernelIsa(): string | null {
  return loadAddon()?.kernelIsa?.() ?? null;
}

/** True when the addon is built and loads. */
export function nativeGemmAvailable(): boolean {
  return loadAddon() != null;
}
