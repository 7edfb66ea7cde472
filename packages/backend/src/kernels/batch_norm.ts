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
import { providedHeapKernels } from './heap_provider';
import { simdModule } from './simd_module';
import { asWasmBackend, floatView, heapOffset, releaseScratch, scratchTensor } from './wasm_tensors';
import { FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD } from '../kernel-names.js';

/**
 * Fused BatchNorm in training mode over the last (channel) axis: per-channel mean and biased variance over all other
 * axes (two passes, like tf.moments), y = (x − mean)·w/√(variance + eps) + b, in one kernel instead of ~8; mean and
 * variance are outputs too (the running statistics and the backward use them). The backward is one more kernel (dx,
 * dw, db together). A registered heap-kernel provider's (e.g. @nextnets/backend-native's) where it has them, else our
 * wasm SIMD kernels (assembly/simd.ts, on the tfjs heap) when the engine has wasm SIMD, else the scalar loops below. Kernel names are shared with @nextnets/core-layers' BatchNorm2d (used when registered).
 */
export const BATCH_NORM_KERNEL = FUSED_BATCH_NORM;
export const BATCH_NORM_GRAD_KERNEL = FUSED_BATCH_NORM_GRAD;

function channelsOf(x: TensorInfo): { c: number; rows: number } {
  const c = x.shape[x.shape.length - 1];
  return { c, rows: c === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / c };
}

export const batchNormKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = (attrs as { eps: number }).eps;
  const { c, rows } = channelsOf(x);
  if (weight.shape.length !== 1 || weight.shape[0] !== c || bias.shape.length !== 1 || bias.shape[0] !== c) {
    throw new Error(`${BATCH_NORM_KERNEL}: weight/bias must be [${c}], got [${weight.shape}] and [${bias.shape}]`);
  }
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput([c], 'float32');
  const varInfo = backend.makeOutput([c], 'float32');
  const mod = providedHeapKernels(backend)?.batchNorm ?? simdModule(backend);
  if (mod && rows > 0) {
    const scale = scratchTensor(backend, [c]);
    const [xp, wp, bp, yp, mp, vp, sp] = [x, weight, bias, yInfo, meanInfo, varInfo, scale].map((t) => heapOffset(backend, t));
    mod.batchNorm(xp, wp, bp, yp, mp, vp, sp, rows, c, eps);
    releaseScratch(backend, scale);
    return [yInfo, meanInfo, varInfo];
  }
  const [xv, w, b, y] = [x, weight, bias, yInfo].map((t) => floatView(backend, t));
  const mean = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let off = 0; off < rows * c; off += c) for (let i = 0; i < c; i++) mean[i] += xv[off + i];
  for (let i = 0; i < c; i++) mean[i] /= rows;
  for (let off = 0; off < rows * c; off += c) {
    for (let i = 0; i < c; i++) sq[i] += (xv[off + i] - mean[i]) ** 2;
  }
  const variance = sq.map((s) => s / rows);
  const scale = variance.map((v, i) => w[i] / Math.sqrt(v + eps));
  for (let off = 0; off < rows * c; off += c) {
    for (let i = 0; i < c; i++) y[off + i] = (xv[off + i] - mean[i]) * scale[i] + b[i];
  }
  floatView(backend, meanInfo).set(mean);
  floatView(backend, varInfo).set(variance);
  return [yInfo, meanInfo, varInfo];
};

/** With r = 1/√(variance + eps), x̂ = (x − mean)·r: db = Σ dy, dw = Σ dy·x̂, dx = w·r·(dy − db/N − x̂·dw/N). */
export const batchNormGradKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x, weight, mean, variance } = inputs as Record<'dy' | 'x' | 'weight' | 'mean' | 'variance', TensorInfo>;
  const eps = (attrs as { eps: number }).eps;
  const { c, rows } = channelsOf(x);
  const dxInfo = backend.makeOutput(x.shape, 'float32');
  const dwInfo = backend.makeOutput([c], 'float32');
  const dbInfo = backend.makeOutput([c], 'float32');
  const mod = providedHeapKernels(backend)?.batchNorm ?? simdModule(backend);
  if (mod && rows > 0) {
    const scratch = scratchTensor(backend, [3 * c]);
    const ptrs = [dy, x, weight, mean, variance, dxInfo, dwInfo, dbInfo, scratch].map((t) => heapOffset(backend, t));
    mod.batchNormGrad(...ptrs, rows, c, eps);
    releaseScratch(backend, scratch);
    return [dxInfo, dwInfo, dbInfo];
  }
  const [dyv, xv, w, mv, vv, dx] = [dy, x, weight, mean, variance, dxInfo].map((t) => floatView(backend, t));
  const rstd = Array.from(vv, (v) => 1 / Math.sqrt(v + eps));
  const db = new Float64Array(c);
  const dw = new Float64Array(c);
  for (let off = 0; off < rows * c; off += c) {
    for (let i = 0; i < c; i++) {
      db[i] += dyv[off + i];
      dw[i] += dyv[off + i] * (xv[off + i] - mv[i]) * rstd[i];
    }
  }
  for (let off = 0; off < rows * c; off += c) {
    for (let i = 0; i < c; i++) {
      const xh = (xv[off + i] - mv[i]) * rstd[i];
      dx[off + i] = w[i] * rstd[i] * (dyv[off + i] - db[i] / rows - (xh * dw[i]) / rows);
    }
  }
  floatView(backend, dwInfo).set(dw);
  floatView(backend, dbInfo).set(db);
  return [dxInfo, dwInfo, dbInfo];
};

export const batchNormConfig: KernelConfig = { kernelName: BATCH_NORM_KERNEL, backendName: 'wasm', kernelFunc: batchNormKernel };
export const batchNormGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: batchNormGradKernel,
};

export const batchNormGradient: GradConfig = {
  kernelName: BATCH_NORM_KERNEL,
  inputsToSave: ['x', 'weight'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight, mean, variance] = saved;
    // One kernel for all three gradients, run here (see layer_norm.ts: each closure runs in its own tidy). The mean
    // and variance outputs feed only the running statistics, outside the gradient: their upstream gradients are ignored.
    const [dx, dw, db] = engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy: (dy as Tensor[])[0], x, weight, mean, variance }, attrs) as Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

export function registerBatchNormGradient(): void {
  if (getGradient(batchNormGradient.kernelName) == null) registerGradient(batchNormGradient);
}
