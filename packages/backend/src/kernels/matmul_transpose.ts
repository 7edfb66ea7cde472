import {
  BatchMatMul,
  Transpose,
  _FusedMatMul,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm_tensors';

/**
 * tfjs-backend-wasm 4.22 runs BatchMatMul / _FusedMatMul through XNNPACK only when neither operand is transposed; with
 * `transposeA` or `transposeB` (every matmul gradient: dA = dY·Bᵀ, dB = Aᵀ·dY) it takes a scalar loop that is 6-7×
 * slower. These wrappers materialise the transposed operand with the wasm Transpose kernel (a copy, O(size)) and call
 * the stock kernel with both flags false, so every matmul takes the fast path.
 */
function transposeLastTwo(backend: unknown, x: TensorInfo): TensorInfo {
  const transpose = getKernel(Transpose, 'wasm');
  if (transpose == null) throw new Error('the wasm backend has no Transpose kernel');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose.kernelFunc({ inputs: { x }, backend: backend as object, attrs: { perm } }) as TensorInfo;
}

/** Wraps a stock matmul kernel so that it is always called with transposeA = transposeB = false. */
export function withoutTransposes(stock: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    const backend = asWasmBackend(args.backend);
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const temps: TensorInfo[] = [];
    const plain = (t: TensorInfo, transposed: boolean | undefined): TensorInfo => {
      if (!transposed) return t;
      const copy = transposeLastTwo(backend, t);
      temps.push(copy);
      return copy;
    };
    try {
      return stock({
        inputs: { ...args.inputs, a: plain(a, attrs.transposeA), b: plain(b, attrs.transposeB) },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

const wrapped = new WeakSet<KernelFunc>();

/**
 * Configs that replace the wasm BatchMatMul and _FusedMatMul with transpose-free wrappers of the stock kernels (the
 * stock setup functions are kept: they bind the C entry points). Empty when the wasm backend is not loaded.
 */
export function matMulWithoutTransposeConfigs(): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const name of [BatchMatMul, _FusedMatMul]) {
    const stock = getKernel(name, 'wasm');
    if (stock == null || wrapped.has(stock.kernelFunc)) continue;
    const kernelFunc = withoutTransposes(stock.kernelFunc);
    wrapped.add(kernelFunc);
    configs.push({ kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc });
  }
  return configs;
}

/** True when the kernel function is one of this module's wrappers. */
export function isTransposeFreeMatMul(kernelFunc: KernelFunc): boolean {
  return wrapped.has(kernelFunc);
}
