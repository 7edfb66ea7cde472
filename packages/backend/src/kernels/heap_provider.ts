import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernelsEnabled } from './heap_module';
import type { SimdModule } from './simd_module';
import type { GeluExports } from './gelu';

/** Matrix products on the wasm heap; pointers are byte offsets of tensors there. */
export interface GemmExports {
  /** accumulate = 1: C += op(A)·B + bias instead of C = op(A)·B + bias. */
  gemmNN(
    a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, relu: number,
    accumulate: number,
  ): void;
  gemmNT(a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number): void;
}

/** Depthwise convolution (NHWC, channel multiplier 1) with the signatures of our wasm SIMD module: geometry first. */
export type DepthwiseExports = Pick<SimdModule, 'setGeometry' | 'forward' | 'backpropInput' | 'backpropFilter'>;

/** LayerNorm over the last axis and its gradient with the signatures of our wasm SIMD module. */
export type LayerNormExports = Pick<SimdModule, 'layerNorm' | 'layerNormGrad'>;

/** Training-mode BatchNorm forward and backward, with the signatures of our wasm SIMD module. */
export type BatchNormExports = Pick<SimdModule, 'batchNorm' | 'batchNormGrad'>;

/**
 * Training-mode BatchNorm followed by SiLU, forward (z = SiLU(y), y not stored) and backward (y recomputed from x and
 * the saved statistics): the batchNorm arguments, and batchNormGrad's with the bias after the weight.
 */
export interface BatchNormSiluExports {
  batchNormSilu(x: number, w: number, b: number, z: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormSiluGrad(
    dy: number, x: number, w: number, b: number, mean: number, variance: number, dx: number, dw: number, db: number, scratch: number,
    rows: number, c: number, eps: number,
  ): void;
}

/** SiLU forward and backward, with the signatures of our wasm silu module (silu.ts). */
export interface SiluExports {
  silu(x: number, y: number, n: number): void;
  siluGrad(x: number, dy: number, dx: number, n: number): void;
}

/**
 * Dense NHWC convolution (filter [FH, FW, CI, CO]) by im2col in blocks and one GEMM of depth FH·FW·CI per block.
 * `geometry` is the 15 numbers batch, inH, inW, CI, outH, outW, FH, FW, strideH, strideW, dilationH, dilationW,
 * padTop, padLeft, CO (`im2colGeometry` in conv2d_im2col.ts); the rest are byte offsets on the heap (bias 0: none).
 * The input gradient overwrites dx, the filter gradient dW.
 */
export interface Im2colConvExports {
  forward(geometry: readonly number[], x: number, w: number, bias: number, out: number): void;
  backpropInput(geometry: readonly number[], dy: number, w: number, dx: number): void;
  backpropFilter(geometry: readonly number[], x: number, dy: number, dW: number): void;
}

/**
 * Kernels another implementation runs in place on the same heap (e.g. @nextnets/backend-native's addon in Node). The
 * GEMMs are required; every other group is optional and, where absent, our wasm SIMD kernels run.
 */
export interface HeapKernels extends GemmExports {
  depthwise?: DepthwiseExports;
  gelu?: GeluExports;
  layerNorm?: LayerNormExports;
  batchNorm?: BatchNormExports;
  batchNormSilu?: BatchNormSiluExports;
  silu?: SiluExports;
  /** Dense convolutions with few channels (conv2d_im2col.ts routes them); no wasm counterpart. */
  im2colConv?: Im2colConvExports;
}

/**
 * Gives the kernels serving one backend, or null where it cannot serve it. It receives tfjs-backend-wasm's backend
 * object (typed `object` so that the public types do not pull in tfjs-backend-wasm's Emscripten typings).
 */
export type HeapKernelProvider = (backend: object) => HeapKernels | null;

let provider: HeapKernelProvider | null = null;

/** Routes the heap GEMMs (matmuls, dense convolutions) and any other kernel groups `next` gives through it; null restores ours. */
export function setHeapKernelProvider(next: HeapKernelProvider | null): void {
  provider = next;
}

/** The registered provider's kernels for this backend, or null when none serves it or the fast kernels are off. */
export function providedHeapKernels(backend: BackendWasm): HeapKernels | null {
  if (!simdKernelsEnabled()) return null;
  return provider?.(backend) ?? null;
}
