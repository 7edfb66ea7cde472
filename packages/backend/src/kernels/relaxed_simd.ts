import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapModule } from './heap_module';

/**
 * Relaxed SIMD (the fused multiply-add our GEMM uses) is on by default from Node 22 (V8 11.4+). Node 20's V8 has it
 * behind --experimental-wasm-relaxed-simd; the flag only gates which wasm modules validate, so it is switched on here
 * at run time, before any of our modules is compiled. NEXTNETS_WASM_RELAXED=0 leaves it off (plain SIMD builds run).
 * Outside Node, or where the flag cannot be set, nothing changes.
 */
export async function enableRelaxedSimd(): Promise<void> {
  if (typeof process === 'undefined' || process.env?.NEXTNETS_WASM_RELAXED === '0' || !process.versions?.node) return;
  try {
    // process.getBuiltinModule (Node >= 20.16) rather than import('node:v8'): browser bundles then hold no Node import
    const v8 = process.getBuiltinModule?.('node:v8');
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node's v8 module (a bundler shim): plain SIMD
  }
}

/** False when NEXTNETS_WASM_RELAXED is '0': the plain-SIMD builds run even where relaxed SIMD validates. */
export function relaxedSimdAllowed(): boolean {
  return typeof process === 'undefined' || process.env?.NEXTNETS_WASM_RELAXED !== '0';
}

/**
 * A module built twice from one AssemblyScript source, instantiated on the tfjs heap: its fused multiply-add build
 * where relaxed SIMD is allowed and validates, else its plain-SIMD build; null without wasm SIMD.
 */
export function relaxedOrPlainModule<T extends object>(backend: BackendWasm, relaxedBase64: string, plainBase64: string): T | null {
  return (relaxedSimdAllowed() ? heapModule<T>(backend, relaxedBase64) : null) ?? heapModule<T>(backend, plainBase64);
}
