import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_WASM_BASE64 } from './generated/simd-wasm';
import { heapModule, wasmSimdValidates } from './heap_module';

/**
 * Our depthwise-convolution, LayerNorm and BatchNorm kernels (assembly/simd.ts, compiled by AssemblyScript at build time and
 * embedded as base64), instantiated on the tfjs heap: every pointer is a tensor's byte offset, nothing is copied.
 */
export interface SimdModule {
  setGeometry(...geometry: number[]): void;
  forward(x: number, w: number, bias: number, out: number): void;
  backpropInput(dy: number, w: number, dx: number): void;
  backpropFilter(x: number, dy: number, dW: number): void;
  layerNorm(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, c: number, eps: number): void;
  layerNormGrad(...pointersRowsC: number[]): void;
  batchNorm(x: number, w: number, b: number, y: number, mean: number, variance: number, scale: number, rows: number, c: number, eps: number): void;
  batchNormGrad(...pointersRowsCEps: number[]): void;
}

/** The module on `backend`'s memory, or null when switched off or when this engine cannot run it. */
export function simdModule(backend: BackendWasm): SimdModule | null {
  return heapModule<SimdModule>(backend, SIMD_WASM_BASE64);
}

/** True when the kernels are switched on and this engine validates the module (wasm SIMD). */
export function simdModuleSupported(): boolean {
  return wasmSimdValidates(SIMD_WASM_BASE64);
}
