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
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { providedHeapKernels, type LayerNormExports } from './heap_provider';
import { simdModule } from './simd_module';
import { asWasmBackend, floatView, heapOffset, zeroedOutput } from './wasm_tensors';
import { FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD } from '../kernel-names.js';

/**
 * Fused LayerNorm over the last axis, y = (x − μ)·r·w + b with r = 1/√(σ² + eps) (biased variance, two-pass like
 * tf.moments), in one kernel instead of ~9; it also outputs μ and r per row for the backward, which is one more
 * kernel (dx, dw, db together). A registered provider's kernels (heap_provider.ts) or our wasm SIMD kernels
 * (assembly/simd.ts, in place on the tfjs heap) run both when the engine has wasm SIMD, else the scalar loops below. Kernel names are shared with @nextnets/core-layers (used when registered).
 */
export const LAYER_NORM_KERNEL = FUSED_LAYER_NORM;
export const LAYER_NORM_GRAD_KERNEL = FUSED_LAYER_NORM_GRAD;

/** A registered provider's LayerNorm kernels (heap_provider.ts) where it gives them, else our wasm SIMD module's. */
function layerNormKernels(backend: BackendWasm): LayerNormExports | null {
  return providedHeapKernels(backend)?.layerNorm ?? simdModule(backend);
}

export const layerNormKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = (attrs as { eps: number }).eps;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / c;
  if (weight.shape.length !== 1 || weight.shape[0] !== c || bias.shape.length !== 1 || bias.shape[0] !== c) {
    throw new Error(`${LAYER_NORM_KERNEL}: weight/bias must be [${c}], got [${weight.shape}] and [${bias.shape}]`);
  }
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput([rows], 'float32');
  const rstdInfo = backend.makeOutput([rows], 'float32');
  const y = floatView(backend, yInfo);
  const meanOut = floatView(backend, meanInfo);
  const rstdOut = floatView(backend, rstdInfo);
  const xv = floatView(backend, x);
  const w = floatView(backend, weight);
  const b = floatView(backend, bias);
  const mod = layerNormKernels(backend);
  if (mod) {
    mod.layerNorm(xv.byteOffset, w.byteOffset, b.byteOffset, y.byteOffset, meanOut.byteOffset, rstdOut.byteOffset, rows, c, eps);
    return [yInfo, meanInfo, rstdInfo];
  }
  for (let r = 0, off = 0; r < rows; r++, off += c) {
    let sum = 0;
    for (let i = 0; i < c; i++) sum += xv[off + i];
    const mean = sum / c;
    let sq = 0;
    for (let i = 0; i < c; i++) {
      const d = xv[off + i] - mean;
      sq += d * d;
    }
    const rstd = 1 / Math.sqrt(sq / c + eps);
    for (let i = 0; i < c; i++) y[off + i] = (xv[off + i] - mean) * rstd * w[i] + b[i];
    meanOut[r] = mean;
    rstdOut[r] = rstd;
  }
  return [yInfo, meanInfo, rstdInfo];
};

/**
 * With x̂ = (x − μ)·r and g = dy·w: dx = r·(g − mean(g) − x̂·mean(g·x̂)) per row, dw = Σ_rows dy·x̂, db = Σ_rows dy.
 */
export const layerNormGradKernel: KernelFunc = ({ inputs, backend: rawBackend }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x, weight, mean, rstd } = inputs as Record<'dy' | 'x' | 'weight' | 'mean' | 'rstd', TensorInfo>;
  const c = x.shape[x.shape.length - 1];
  const rows = mean.shape[0];
  const dxInfo = backend.makeOutput(x.shape, 'float32');
  // zeroed: the SIMD kernel accumulates into dw and db
  const dwInfo = zeroedOutput(backend, [c], 'float32');
  const dbInfo = zeroedOutput(backend, [c], 'float32');
  const dx = floatView(backend, dxInfo);
  const xv = floatView(backend, x);
  const dyv = floatView(backend, dy);
  const w = floatView(backend, weight);
  const mv = floatView(backend, mean);
  const rv = floatView(backend, rstd);
  const mod = layerNormKernels(backend);
  if (mod) {
    const [dwPtr, dbPtr] = [heapOffset(backend, dwInfo), heapOffset(backend, dbInfo)];
    mod.layerNormGrad(dyv.byteOffset, xv.byteOffset, w.byteOffset, mv.byteOffset, rv.byteOffset, dx.byteOffset, dwPtr, dbPtr, rows, c);
    return [dxInfo, dwInfo, dbInfo];
  }
  const dw = new Float64Array(c);
  const db = new Float64Array(c);
  for (let r = 0, off = 0; r < rows; r++, off += c) {
    const mu = mv[r];
    const rs = rv[r];
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < c; i++) {
      const d = dyv[off + i];
      const xh = (xv[off + i] - mu) * rs;
      const g = d * w[i];
      sumG += g;
      sumGX += g * xh;
      dw[i] += d * xh;
      db[i] += d;
    }
    const meanG = sumG / c;
    const meanGX = sumGX / c;
    for (let i = 0; i < c; i++) {
      const xh = (xv[off + i] - mu) * rs;
      dx[off + i] = rs * (dyv[off + i] * w[i] - meanG - xh * meanGX);
    }
  }
  floatView(backend, dwInfo).set(dw);
  floatView(backend, dbInfo).set(db);
  return [dxInfo, dwInfo, dbInfo];
};

export const layerNormConfig: KernelConfig = { kernelName: LAYER_NORM_KERNEL, backendName: 'wasm', kernelFunc: layerNormKernel };
export const layerNormGradConfig: KernelConfig = {
  kernelName: LAYER_NORM_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: layerNormGradKernel,
};

export const layerNormGradient: GradConfig = {
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'weight'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved) => {
    const [x, weight, mean, rstd] = saved;
    // One kernel computes all three gradients, run here rather than in the closures: the tape calls each closure in
    // its own tidy, which would dispose the outputs the other closures need (the backward pass' tidy frees unused ones).
    const [dx, dw, db] = engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy: (dy as Tensor[])[0], x, weight, mean, rstd }) as Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

export function registerLayerNormGradient(): void {
  if (getGradient(layerNormGradient.kernelName) == null) registerGradient(layerNormGradient);
}
