import {
  BatchMatMul,
  Transpose,
  _FusedMatMul,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapMatMul } from './heap_gemm';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend } from './wasm_tensors';

/**
 * BatchMatMul / _FusedMatMul for training on wasm. tfjs-backend-wasm 4.22 runs them through XNNPACK only when neither
 * operand is transposed, and XNNPACK re-packs `b` whenever it is a new tensor (in training: every step, for the
 * forward weights and for both gradients); with `transposeA` or `transposeB` (every matmul gradient: dA = dY·Bᵀ,
 * dB = Aᵀ·dY) the stock kernel takes a scalar loop that is 6-7× slower. These wrappers first try `heapMatMul`
 * (assembly/matmul.ts on the tfjs heap: all three forms, no packing, no transposed copies); for what it does not
 * cover they materialise the transposed operand with the wasm Transpose kernel and call the stock kernel with both
 * flags false, so every matmul takes a fast path.
 */
function transposeLastTwo(backend: unknown, x: TensorInfo): TensorInfo {
  const transpose = getKernel(Transpose, 'wasm');
  if (transpose == null) throw new Error('the wasm backend has no Transpose kernel');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose.kernelFunc({ inputs: { x }, backend: backend as object, attrs: { perm } }) as TensorInfo;
}

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
}

/** Wraps a stock matmul kernel: `heapMatMul` when it applies, else the stock kernel without transposes. */
export function fastMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { transposeA = false, transposeB = false, activation } = args.attrs as MatMulAttrs;
    const backend = asWasmBackend(args.backend);
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    if (a == null || b == null) return stock(args);
    if (preluActivationWeights == null) {
      const direct = heapMatMul(backend, { a, b, transposeA, transposeB, bias, activation });
      if (direct != null) return direct;
    }
    if (!transposeA && !transposeB) return stock(args);
    const temps: TensorInfo[] = [];
    const plain = (t: TensorInfo, transposed: boolean): TensorInfo => {
      if (!transposed) return t;
      const copy = transposeLastTwo(backend, t);
      temps.push(copy);
      return copy;
    };
    try {
      return stock({
        inputs: { ...args.inputs, a: plain(a, transposeA), b: plain(b, transposeB) },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

const wrappers = new WasmKernelWrappers([
  [BatchMatMul, fastMatMul],
  [_FusedMatMul, fastMatMul],
]);

/**
 * Configs that replace the wasm BatchMatMul and _FusedMatMul with `fastMatMul` wrappers of the stock kernels. Empty
 * when the wasm backend is not loaded or they are already applied.
 */
export function fastMatMulConfigs(): KernelConfig[] {
  return wrappers.configs();
}

/** True when the kernel function is one of this module's wrappers. */
export function isFastMatMul(kernelFunc: KernelFunc): boolean {
  return wrappers.has(kernelFunc);
}
