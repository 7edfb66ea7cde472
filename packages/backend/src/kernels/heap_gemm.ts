import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import { MATMUL_RELAXED_WASM_BASE64 } from './generated/matmul-relaxed-wasm';
import { MATMUL_WASM_BASE64 } from './generated/matmul-wasm';
import { simdKernelsEnabled } from './heap_module';
import { providedHeapKernels, type GemmExports } from './heap_provider';
import { relaxedOrPlainModule } from './relaxed_simd';
import { heapOffset } from './wasm_tensors';

/**
 * The registered provider's GEMM when it serves this backend, else assembly/matmul.ts instantiated on the tfjs heap
 * (its fused multiply-add build where the engine validates relaxed SIMD, else plain SIMD); null without wasm SIMD or
 * with the fast kernels switched off (`setSimdKernelsEnabled(false)`). Pointers are byte offsets of tensors on the heap.
 */
export function heapGemm(backend: BackendWasm): GemmExports | null {
  if (!simdKernelsEnabled()) return null;
  return providedHeapKernels(backend) ?? relaxedOrPlainModule<GemmExports>(backend, MATMUL_RELAXED_WASM_BASE64, MATMUL_WASM_BASE64);
}

export interface MatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo | null;
  /** _FusedMatMul's activation; only 'linear' and 'relu' are handled here. */
  activation?: string;
}

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/**
 * Floats of A and B per aᵀ·b call: a long k (the rows of a weight gradient, e.g. 4096 pixels × 160 channels) is split
 * into blocks of ~256 KiB that stay in L2 while the tiles sweep them, accumulating into C. Each output is still one
 * sequential sum over k, so the result is bit-identical to one call.
 */
const TN_BLOCK_FLOATS = 1 << 16;

/**
 * op(a)·op(b) (+ bias, relu) with `heapGemm`, straight on the tfjs heap: no transposed copy and no XNNPACK
 * weight packing, which the stock kernel redoes for every new `b` (every training step: the weights and the incoming
 * gradients are new tensors each time). Covers a·b, aᵀ·b and a·bᵀ (the forward product and both gradients), equal
 * batch shapes or a batch of one on either side, and a bias of `n` values. Returns null, computing nothing, for
 * anything else (aᵀ·bᵀ, PReLU and other activations, other broadcasts, non-float32 data, no wasm SIMD): the caller
 * then uses the stock kernel.
 */
export function heapMatMul(backend: BackendWasm, args: MatMulArgs): TensorInfo | null {
  const { a, b, transposeA, transposeB, bias } = args;
  const activation = args.activation ?? 'linear';
  if (transposeA && transposeB) return null;
  if (activation !== 'linear' && activation !== 'relu') return null;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (bias != null && bias.dtype !== 'float32')) return null;
  if (a.shape.length < 2 || b.shape.length < 2) return null;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) return null;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const aBatch = product(aBatchShape);
  const bBatch = product(bBatchShape);
  const sameBatch = aBatchShape.length === bBatchShape.length && aBatchShape.every((d, i) => d === bBatchShape[i]);
  if (!sameBatch && aBatch !== 1 && bBatch !== 1) return null;
  if (bias != null && (product(bias.shape) !== n || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n))) {
    return null;
  }
  const gemm = heapGemm(backend);
  if (gemm == null) return null;

  const batchShape = backend_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const batch = Math.max(aBatch, bBatch);
  // Allocate before taking heap offsets: an allocation can grow (and move the views of) the heap.
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  const aPtr = heapOffset(backend, a);
  const bPtr = heapOffset(backend, b);
  const cPtr = heapOffset(backend, out);
  const biasPtr = bias != null ? heapOffset(backend, bias) : 0;
  const relu = activation === 'relu' ? 1 : 0;
  const aStep = aBatch === 1 ? 0 : m * k * 4;
  const bStep = bBatch === 1 ? 0 : k * n * 4;
  for (let e = 0; e < batch; e++) {
    const [ap, bp, cp] = [aPtr + e * aStep, bPtr + e * bStep, cPtr + e * m * n * 4];
    if (transposeB) gemm.gemmNT(ap, bp, cp, biasPtr, m, n, k, relu);
    else if (transposeA) transposedTimes(gemm, ap, bp, cp, biasPtr, m, n, k, relu);
    else gemm.gemmNN(ap, bp, cp, biasPtr, m, n, k, k, 1, relu, 0);
  }
  return out;
}

/** C = Aᵀ·B (+ bias, relu) for A [k, m], B [k, n], in k-blocks of TN_BLOCK_FLOATS (see there). */
function transposedTimes(
  gemm: GemmExports, a: number, b: number, c: number, bias: number, m: number, n: number, k: number, relu: number,
): void {
  const block = Math.max(4, Math.floor(TN_BLOCK_FLOATS / (m + n)));
  if (relu !== 0 || k <= block) {
    gemm.gemmNN(a, b, c, bias, m, n, k, 1, m, relu, 0);
    return;
  }
  for (let p = 0; p < k; p += block) {
    // the bias once, in the first block; the later blocks add to C
    const first = p === 0;
    gemm.gemmNN(a + p * m * 4, b + p * n * 4, c, first ? bias : 0, m, n, Math.min(block, k - p), 1, m, 0, first ? 0 : 1);
  }
}
