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
import { GRN_WASM_BASE64 } from './generated/grn-wasm';
import { heapModule } from './heap_module';
import { asWasmBackend, floatView, releaseScratch, scratchTensor, zeroedOutput } from './wasm_tensors';
import { FUSED_GRN, FUSED_GRN_GRAD } from '../kernel-names.js';

/**
 * Fused Global Response Normalization (ConvNeXt V2, Woo et al. 2023; timm's GlobalResponseNorm) of x [N, …, C] (NHWC
 * maps or [N, H·W, C]): per sample g_c = √(Σ_hw x² + 1e-30), nx = g / (mean_c g + eps), y = x + w·x·nx + b. Two passes over x forward and two
 * backward, where the composite ops run about ten kernels forward and more backward, several of them reductions over
 * the middle (spatial) axes. SIMD on the tfjs heap (assembly/grn.ts, which also derives the gradient) when the engine
 * has wasm SIMD, else the scalar loops below.
 */
interface GrnExports {
  grn(x: number, w: number, b: number, y: number, g: number, n: number, hw: number, c: number, eps: number): void;
  grnGrad(dy: number, x: number, w: number, g: number, dx: number, dw: number, db: number, t: number, n: number, hw: number, c: number, eps: number): void;
}

function grnModule(backend: BackendWasm): GrnExports | null {
  return heapModule<GrnExports>(backend, GRN_WASM_BASE64);
}

/** [samples, positions per sample, channels] of x [N, …, C]. */
function dims(x: TensorInfo): [n: number, hw: number, c: number] {
  if (x.shape.length < 2) throw new Error(`${FUSED_GRN}: expected x of shape [N, …, C], got [${x.shape}]`);
  const n = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  return [n, x.shape.slice(1, -1).reduce((p, d) => p * d, 1), c];
}

/** 1/(mean of one sample's c norms + eps). */
function inverseScale(g: Float32Array, at: number, c: number, eps: number): number {
  let total = 0;
  for (let i = 0; i < c; i++) total += g[at + i];
  return 1 / (total / c + eps);
}

export const grnKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = (attrs as { eps: number }).eps;
  const [n, hw, c] = dims(x);
  if (weight.shape.join() !== `${c}` || bias.shape.join() !== `${c}`) {
    throw new Error(`${FUSED_GRN}: weight/bias must be [${c}], got [${weight.shape}] and [${bias.shape}]`);
  }
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const gInfo = backend.makeOutput([n, c], 'float32');
  const [xv, w, b, y, g] = [x, weight, bias, yInfo, gInfo].map((t) => floatView(backend, t));
  const mod = grnModule(backend);
  if (mod) {
    mod.grn(xv.byteOffset, w.byteOffset, b.byteOffset, y.byteOffset, g.byteOffset, n, hw, c, eps);
    return [yInfo, gInfo];
  }
  for (let s = 0; s < n; s++) {
    const base = s * hw * c;
    for (let i = 0; i < c; i++) g[s * c + i] = 0;
    for (let p = base; p < base + hw * c; p += c) {
      for (let i = 0; i < c; i++) g[s * c + i] += xv[p + i] * xv[p + i];
    }
    for (let i = 0; i < c; i++) g[s * c + i] = Math.fround(Math.sqrt(g[s * c + i] + 1e-30));
    const inv = inverseScale(g, s * c, c, eps);
    for (let p = base; p < base + hw * c; p += c) {
      for (let i = 0; i < c; i++) y[p + i] = xv[p + i] * (1 + w[i] * (g[s * c + i] * inv)) + b[i];
    }
  }
  return [yInfo, gInfo];
};

/** dx, dweight, dbias; the derivation is in assembly/grn.ts. */
export const grnGradKernel: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, x, weight, g } = inputs as Record<'dy' | 'x' | 'weight' | 'g', TensorInfo>;
  const eps = (attrs as { eps: number }).eps;
  const [n, hw, c] = dims(x);
  const dxInfo = backend.makeOutput(x.shape, 'float32');
  // zeroed: both paths accumulate into dw and db
  const dwInfo = zeroedOutput(backend, [c], 'float32');
  const dbInfo = zeroedOutput(backend, [c], 'float32');
  const scratch = scratchTensor(backend, [2 * c]);
  const [dyv, xv, w, gv, dx, dw, db, t] = [dy, x, weight, g, dxInfo, dwInfo, dbInfo, scratch].map((info) => floatView(backend, info));
  const mod = grnModule(backend);
  if (mod) {
    mod.grnGrad(dyv.byteOffset, xv.byteOffset, w.byteOffset, gv.byteOffset, dx.byteOffset, dw.byteOffset, db.byteOffset, t.byteOffset, n, hw, c, eps);
  } else {
    const [a, k1] = [t.subarray(0, c), t.subarray(c)];
    for (let s = 0; s < n; s++) {
      const base = s * hw * c;
      a.fill(0);
      for (let p = base; p < base + hw * c; p += c) {
        for (let i = 0; i < c; i++) {
          a[i] += dyv[p + i] * xv[p + i];
          db[i] += dyv[p + i];
        }
      }
      const inv = inverseScale(gv, s * c, c, eps);
      let wag = 0;
      for (let i = 0; i < c; i++) wag += w[i] * a[i] * gv[s * c + i];
      const shared = (wag * inv * inv) / c;
      for (let i = 0; i < c; i++) {
        const nx = gv[s * c + i] * inv;
        dw[i] += nx * a[i];
        k1[i] = 1 + w[i] * nx;
        a[i] = (w[i] * a[i] * inv - shared) / gv[s * c + i];
      }
      for (let p = base; p < base + hw * c; p += c) {
        for (let i = 0; i < c; i++) dx[p + i] = dyv[p + i] * k1[i] + xv[p + i] * a[i];
      }
    }
  }
  releaseScratch(backend, scratch);
  return [dxInfo, dwInfo, dbInfo];
};

export const grnConfig: KernelConfig = { kernelName: FUSED_GRN, backendName: 'wasm', kernelFunc: grnKernel };
export const grnGradConfig: KernelConfig = { kernelName: FUSED_GRN_GRAD, backendName: 'wasm', kernelFunc: grnGradKernel };

export const grnGradient: GradConfig = {
  kernelName: FUSED_GRN,
  inputsToSave: ['x', 'weight'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight, g] = saved;
    // one kernel for all three gradients, run here: the tape runs each closure in its own tidy (see layer_norm.ts)
    const [dx, dw, db] = engine().runKernel(FUSED_GRN_GRAD, { dy: (dy as Tensor[])[0], x, weight, g }, attrs) as Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

export function registerGrnGradient(): void {
  if (getGradient(grnGradient.kernelName) == null) registerGradient(grnGradient);
}
