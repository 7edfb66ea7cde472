import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ADAMW_WASM_BASE64 } from './generated/adamw-wasm';
import { heapModule } from './heap_module';
import { asWasmBackend, floatView } from './wasm_tensors';
import { FUSED_ADAMW_UPDATE } from '../kernel-names.js';

/**
 * Fused AdamW update (torch.optim.AdamW, no amsgrad) of one parameter in one pass: reads param, grad and the two
 * moments, writes the new three (tfjs kernels return new tensors; @nextnets/optim assigns them to its variables).
 * Replaces ~12 elementwise kernels and their intermediates per parameter. Runs assembly/adamw.ts (wasm SIMD) directly
 * on the tfjs heap: the module is instantiated with tfjs-backend-wasm's own memory, so nothing is copied. Engines
 * without wasm SIMD (or a memory that cannot be imported) get the scalar loop below. Both compute every element with
 * the same float32 operations, in the same order, as @nextnets/optim's composite path, so the results are identical.
 * Kernel name shared with @nextnets/optim, which uses it when the active backend has it.
 */
export const ADAMW_UPDATE_KERNEL = FUSED_ADAMW_UPDATE;

export interface AdamWUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count of this parameter, including this update. */
  step: number;
}

/** The per-step constants, as the composite path builds its float32 scalars. */
export function adamWCoefficients({ lr, beta1, beta2, eps, weightDecay, step }: AdamWUpdateAttrs): number[] {
  const f = Math.fround;
  return [
    f(1 - lr * weightDecay),
    f(beta1),
    f(1 - beta1),
    f(beta2),
    f(1 - beta2),
    f(Math.sqrt(1 - beta2 ** step)),
    f(eps),
    f(lr / (1 - beta1 ** step)),
  ];
}

type AdamWFn = (p: number, g: number, m: number, v: number, po: number, mo: number, vo: number, n: number, ...c: number[]) => void;

function simdAdamW(backend: BackendWasm): AdamWFn | null {
  return heapModule<{ adamw: AdamWFn }>(backend, ADAMW_WASM_BASE64)?.adamw ?? null;
}

export const adamWUpdateKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
  for (const [name, t] of Object.entries({ grad, m, v })) {
    if (t.dtype !== 'float32' || t.shape.length !== param.shape.length || t.shape.some((d, i) => d !== param.shape[i])) {
      throw new Error(`${ADAMW_UPDATE_KERNEL}: ${name} is ${t.dtype} [${t.shape}], param is ${param.dtype} [${param.shape}]`);
    }
  }
  const coefficients = adamWCoefficients(attrs as unknown as AdamWUpdateAttrs);
  // Allocate every output before taking any heap view: an allocation can grow (and detach) the heap.
  const outs = [0, 1, 2].map(() => backend.makeOutput(param.shape, 'float32'));
  const [pv, gv, mv, vv, po, mo, vo] = [param, grad, m, v, ...outs].map((t) => floatView(backend, t));
  const n = pv.length;
  const simd = simdAdamW(backend);
  if (simd) {
    simd(pv.byteOffset, gv.byteOffset, mv.byteOffset, vv.byteOffset, po.byteOffset, mo.byteOffset, vo.byteOffset, n, ...coefficients);
    return outs;
  }
  const [decay, b1, omb1, b2, omb2, sqrtBc2, eps, stepSize] = coefficients;
  const f = Math.fround;
  // Each intermediate rounded to float32 (a double result of one operation on float32 operands rounds correctly).
  for (let i = 0; i < n; i++) {
    const g = gv[i];
    const m1 = f(f(mv[i] * b1) + f(g * omb1));
    const v1 = f(f(vv[i] * b2) + f(f(g * g) * omb2));
    const denom = f(f(f(Math.sqrt(v1)) / sqrtBc2) + eps);
    po[i] = f(pv[i] * decay) - f(f(m1 / denom) * stepSize);
    mo[i] = m1;
    vo[i] = v1;
  }
  return outs;
};

export const adamWUpdateConfig: KernelConfig = {
  kernelName: ADAMW_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: adamWUpdateKernel,
};
