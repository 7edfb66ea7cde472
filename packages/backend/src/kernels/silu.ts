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
import { SILU_RELAXED_WASM_BASE64 } from './generated/silu-relaxed-wasm';
import { SILU_WASM_BASE64 } from './generated/silu-wasm';
import { providedHeapKernels, type SiluExports } from './heap_provider';
import { relaxedOrPlainModule } from './relaxed_simd';
import { asWasmBackend, floatView } from './wasm_tensors';
import { FUSED_SILU, FUSED_SILU_GRAD } from '../kernel-names.js';

/**
 * Fused SiLU / swish, y = x·σ(x) (Ramachandran et al. 2017, "Searching for Activation Functions"; EfficientNet's
 * activation), in one pass over the data: the composite op runs Sigmoid and Multiply forward and five more kernels
 * backward (two products for the Multiply, Sub and two products for the Sigmoid), each reading and writing a whole
 * activation. The gradient is one kernel too, dx = dy·σ(x)·(1 + x·(1 − σ(x))), recomputing σ from x. SIMD on the
 * tfjs heap (assembly/silu.ts) when the engine has wasm SIMD, else the scalar loops below. Kernel names are shared
 * with @nextnets/core-layers' `silu`, which uses them when the active backend has them registered.
 */
export const SILU_KERNEL = FUSED_SILU;
export const SILU_GRAD_KERNEL = FUSED_SILU_GRAD;

/**
 * A registered heap-kernel provider's SiLU (e.g. @nextnets/backend-native's), else assembly/silu.ts on the tfjs heap
 * (relaxed-SIMD build where it validates); null without SIMD or when switched off.
 */
function siluModule(backend: BackendWasm): SiluExports | null {
  return providedHeapKernels(backend)?.silu ?? relaxedOrPlainModule<SiluExports>(backend, SILU_RELAXED_WASM_BASE64, SILU_WASM_BASE64);
}

/** σ(v) from exp(−|v|) (no overflow for any v). */
function sigmoid(v: number): number {
  const e = Math.exp(-Math.abs(v));
  return v < 0 ? e / (1 + e) : 1 / (1 + e);
}

export const siluKernel: KernelFunc = ({ inputs, backend: rawBackend }) => {
  const backend = asWasmBackend(rawBackend);
  const { x } = inputs as { x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const y = floatView(backend, out);
  const xv = floatView(backend, x);
  const mod = siluModule(backend);
  if (mod) {
    mod.silu(xv.byteOffset, y.byteOffset, y.length);
    return out;
  }
  for (let i = 0; i < xv.length; i++) y[i] = xv[i] * sigmoid(xv[i]);
  return out;
};

export const siluGradKernel: KernelFunc = ({ inputs, backend: rawBackend }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const dx = floatView(backend, out);
  const xv = floatView(backend, x);
  const dyv = floatView(backend, dy);
  const mod = siluModule(backend);
  if (mod) {
    mod.siluGrad(xv.byteOffset, dyv.byteOffset, dx.byteOffset, dx.length);
    return out;
  }
  for (let i = 0; i < xv.length; i++) {
    const s = sigmoid(xv[i]);
    dx[i] = dyv[i] * s * (1 + xv[i] * (1 - s));
  }
  return out;
};

export const siluConfig: KernelConfig = { kernelName: SILU_KERNEL, backendName: 'wasm', kernelFunc: siluKernel };
export const siluGradConfig: KernelConfig = { kernelName: SILU_GRAD_KERNEL, backendName: 'wasm', kernelFunc: siluGradKernel };

export const siluGradient: GradConfig = {
  kernelName: SILU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({
    x: () => engine().runKernel(SILU_GRAD_KERNEL, { dy: dy as Tensor, x: saved[0] }) as Tensor,
  }),
};

export function registerSiluGradient(): void {
  if (getGradient(siluGradient.kernelName) == null) registerGradient(siluGradient);
}
