import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  engine,
  getGradient,
  registerGradient,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { GELU_RELAXED_WASM_BASE64 } from './generated/gelu-relaxed-wasm';
import { GELU_WASM_BASE64 } from './generated/gelu-wasm';
import { providedHeapKernels } from './heap_provider';
import { relaxedOrPlainModule } from './relaxed_simd';
import { asWasmBackend, floatView } from './wasm_tensors';
import { FUSED_GELU, FUSED_GELU_GRAD } from '../kernel-names.js';

/**
 * Fused exact GELU, y = ½·x·(1 + erf(x/√2)), in one pass over the data (the composite op runs five kernels and
 * wasm's Erf alone costs ~20 ns per element). The SIMD forward takes erf from a rational fit without exp (|error|
 * ≤ 4.2e-7 in float32; assembly/gelu.ts); the gradient and the scalar fallback use Abramowitz & Stegun 7.1.26
 * (|error| ≤ 1.5e-7), the approximation tfjs' Erf kernels use. Kernel names are shared with @nextnets/core-layers, which uses them when the
 * active backend has them registered.
 */
export const GELU_KERNEL = FUSED_GELU;
export const GELU_GRAD_KERNEL = FUSED_GELU_GRAD;

const P = 0.3275911;
const A1 = 0.254829592;
const A2 = -0.284496736;
const A3 = 1.421413741;
const A4 = -1.453152027;
const A5 = 1.061405429;
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;

/** Exact GELU and its gradient on the heap (pointers are byte offsets), our wasm module's or a provider's (heap_provider.ts). */
export interface GeluExports {
  gelu(x: number, y: number, n: number): void;
  geluGrad(x: number, dy: number, dx: number, n: number): void;
}

/**
 * A registered provider's kernels where it gives them (heap_provider.ts), else
 * assembly/gelu.ts on the tfjs heap (no copies): its fused multiply-add build where the engine validates relaxed SIMD
 * (~25% faster), else plain SIMD; or null without wasm SIMD: the scalar loops below run instead.
 */
function geluModule(backend: BackendWasm): GeluExports | null {
  const provided = providedHeapKernels(backend)?.gelu;
  if (provided) return provided;
  return relaxedOrPlainModule<GeluExports>(backend, GELU_RELAXED_WASM_BASE64, GELU_WASM_BASE64);
}

/** 1 − erf(|z|) given t = 1/(1 + P|z|) and exp(−z²) (A&S 7.1.26). */
function erfcAbs(t: number, gauss: number): number {
  return ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * gauss;
}

export const geluKernel: KernelFunc = ({ inputs, backend: rawBackend }) => {
  const backend = asWasmBackend(rawBackend);
  const { x } = inputs as { x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const y = floatView(backend, out);
  const xv = floatView(backend, x);
  const mod = geluModule(backend);
  if (mod) {
    mod.gelu(xv.byteOffset, y.byteOffset, y.length);
    return out;
  }
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i];
    const az = Math.abs(v) * INV_SQRT2;
    const c = erfcAbs(1 / (1 + P * az), Math.exp(-az * az));
    // 1 + erf(z) = 2 − erfc(|z|) for z ≥ 0, erfc(|z|) for z < 0.
    y[i] = 0.5 * v * (v < 0 ? c : 2 - c);
  }
  return out;
};

/** dx = dy·(½(1 + erf(x/√2)) + x·φ(x)), φ the standard normal density. */
export const geluGradKernel: KernelFunc = ({ inputs, backend: rawBackend }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const dx = floatView(backend, out);
  const xv = floatView(backend, x);
  const dyv = floatView(backend, dy);
  const mod = geluModule(backend);
  if (mod) {
    mod.geluGrad(xv.byteOffset, dyv.byteOffset, dx.byteOffset, dx.length);
    return out;
  }
  for (let i = 0; i < xv.length; i++) {
    const v = xv[i];
    const az = Math.abs(v) * INV_SQRT2;
    const gauss = Math.exp(-az * az);
    const c = erfcAbs(1 / (1 + P * az), gauss);
    dx[i] = dyv[i] * (0.5 * (v < 0 ? c : 2 - c) + v * INV_SQRT_2PI * gauss);
  }
  return out;
};

export const geluConfig: KernelConfig = { kernelName: GELU_KERNEL, backendName: 'wasm', kernelFunc: geluKernel };
export const geluGradConfig: KernelConfig = { kernelName: GELU_GRAD_KERNEL, backendName: 'wasm', kernelFunc: geluGradKernel };

export const geluGradient: GradConfig = {
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({
    x: () => engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as Tensor, x: saved[0] }) as Tensor,
  }),
};

export function registerGeluGradient(): void {
  if (getGradient(geluGradient.kernelName) == null) registerGradient(geluGradient);
}
