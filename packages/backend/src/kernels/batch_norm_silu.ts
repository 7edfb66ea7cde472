import { engine, getGradient, registerGradient, type GradConfig, type KernelConfig, type KernelFunc, type Tensor, type TensorInfo } from '@tensorflow/tfjs-core';
import { batchNormGradKernel, batchNormKernel } from './batch_norm';
import { providedHeapKernels } from './heap_provider';
import { siluGradKernel, siluKernel } from './silu';
import { asWasmBackend, heapOffset, releaseScratch, scratchTensor } from './wasm_tensors';
import { FUSED_BATCH_NORM_SILU, FUSED_BATCH_NORM_SILU_GRAD } from '../kernel-names.js';

/**
 * Training-mode BatchNorm followed by SiLU (EfficientNet's conv → BN → SiLU) as one kernel pair. The forward returns
 * z = SiLU(y) and the batch statistics without keeping y; the backward recomputes y from x and the saved statistics,
 * applies SiLU's derivative and BatchNorm's gradient. A heap-kernel provider with the `batchNormSilu` group (e.g.
 * @nextnets/backend-native) does each in two passes over x (and dy), never writing y or the SiLU gradient out;
 * otherwise the kernels chain our BatchNorm and SiLU kernels through scratch tensors, with the same values as the
 * separate kernels bit for bit (the backward recomputes y with the forward's kernel).
 */
export const BATCH_NORM_SILU_KERNEL = FUSED_BATCH_NORM_SILU;
export const BATCH_NORM_SILU_GRAD_KERNEL = FUSED_BATCH_NORM_SILU_GRAD;

function channelsOf(x: TensorInfo): { c: number; rows: number } {
  const c = x.shape[x.shape.length - 1];
  return { c, rows: c === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / c };
}

export const batchNormSiluKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const { c, rows } = channelsOf(x);
  const fused = providedHeapKernels(backend)?.batchNormSilu;
  if (fused == null || rows === 0) {
    const [y, mean, variance] = batchNormKernel({ inputs, backend, attrs }) as TensorInfo[];
    const z = siluKernel({ inputs: { x: y }, backend, attrs: {} }) as TensorInfo;
    releaseScratch(backend, y);
    return [z, mean, variance];
  }
  if (weight.shape.length !== 1 || weight.shape[0] !== c || bias.shape.length !== 1 || bias.shape[0] !== c) {
    throw new Error(`${BATCH_NORM_SILU_KERNEL}: weight/bias must be [${c}], got [${weight.shape}] and [${bias.shape}]`);
  }
  const zInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput([c], 'float32');
  const varInfo = backend.makeOutput([c], 'float32');
  const scale = scratchTensor(backend, [c]);
  const [xp, wp, bp, zp, mp, vp, sp] = [x, weight, bias, zInfo, meanInfo, varInfo, scale].map((t) => heapOffset(backend, t));
  fused.batchNormSilu(xp, wp, bp, zp, mp, vp, sp, rows, c, (attrs as { eps: number }).eps);
  releaseScratch(backend, scale);
  return [zInfo, meanInfo, varInfo];
};

export const batchNormSiluGradKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x, weight, bias, mean, variance } = inputs as Record<'dy' | 'x' | 'weight' | 'bias' | 'mean' | 'variance', TensorInfo>;
  const { c, rows } = channelsOf(x);
  const fused = providedHeapKernels(backend)?.batchNormSilu;
  if (fused == null || rows === 0) {
    // y again with the forward's kernel (the same statistics, bit for bit), SiLU's gradient, then BatchNorm's
    const [y, m2, v2] = batchNormKernel({ inputs: { x, weight, bias }, backend, attrs }) as TensorInfo[];
    releaseScratch(backend, m2, v2);
    const g = siluGradKernel({ inputs: { dy, x: y }, backend, attrs: {} }) as TensorInfo;
    releaseScratch(backend, y);
    const grads = batchNormGradKernel({ inputs: { dy: g, x, weight, mean, variance }, backend, attrs }) as TensorInfo[];
    releaseScratch(backend, g);
    return grads;
  }
  const dxInfo = backend.makeOutput(x.shape, 'float32');
  const dwInfo = backend.makeOutput([c], 'float32');
  const dbInfo = backend.makeOutput([c], 'float32');
  const scratch = scratchTensor(backend, [3 * c]);
  const ptrs = [dy, x, weight, bias, mean, variance, dxInfo, dwInfo, dbInfo, scratch].map((t) => heapOffset(backend, t));
  fused.batchNormSiluGrad(...(ptrs as [number, number, number, number, number, number, number, number, number, number]), rows, c, (attrs as { eps: number }).eps);
  releaseScratch(backend, scratch);
  return [dxInfo, dwInfo, dbInfo];
};

export const batchNormSiluConfig: KernelConfig = { kernelName: BATCH_NORM_SILU_KERNEL, backendName: 'wasm', kernelFunc: batchNormSiluKernel };
export const batchNormSiluGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_SILU_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: batchNormSiluGradKernel,
};

export const batchNormSiluGradient: GradConfig = {
  kernelName: BATCH_NORM_SILU_KERNEL,
  inputsToSave: ['x', 'weight', 'bias'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight, bias, mean, variance] = saved;
    // the statistics outputs feed only the running statistics, outside the gradient: their upstream gradients are ignored
    const inputs = { dy: (dy as Tensor[])[0], x, weight, bias, mean, variance };
    const [dx, dw, db] = engine().runKernel(BATCH_NORM_SILU_GRAD_KERNEL, inputs, attrs) as Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

export function registerBatchNormSiluGradient(): void {
  if (getGradient(batchNormSiluGradient.kernelName) == null) registerGradient(batchNormSiluGradient);
}
