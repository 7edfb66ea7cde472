import { SIMD_WASM_BASE64 } from './generated/simd-wasm';

/**
 * Our wasm SIMD kernels (assembly/simd.ts, compiled by AssemblyScript at build time and embedded as base64). The
 * module has its own linear memory: callers copy inputs in with `stage` and copy results out.
 */
export interface SimdModule {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  setGeometry(...geometry: number[]): void;
  forward(x: number, w: number, bias: number, out: number): void;
  backpropInput(dy: number, w: number, dx: number): void;
  backpropFilter(x: number, dy: number, dW: number): void;
  layerNorm(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, c: number, eps: number): void;
  layerNormGrad(...pointersRowsC: number[]): void;
}

/** The part of the global WebAssembly API used here (the TypeScript libs in use declare only its types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

let instance: SimdModule | null | undefined;
let enabled = true;

/** Switches the SIMD kernels off (the callers' scalar / stock paths run instead) or back on; for tests. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** False after `setSimdKernelsEnabled(false)`. */
export function simdKernelsEnabled(): boolean {
  return enabled;
}

/** The instantiated module, or null when switched off or when this engine cannot run it (no wasm SIMD). */
export function simdModule(): SimdModule | null {
  if (!enabled) return null;
  if (instance !== undefined) return instance;
  const bytes = Uint8Array.from(atob(SIMD_WASM_BASE64), (ch) => ch.charCodeAt(0));
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm == null || !wasm.validate(bytes)) return (instance = null);
  const abort = (): never => {
    throw new Error('nextnets wasm SIMD kernel aborted');
  };
  instance = new wasm.Instance(new wasm.Module(bytes), { env: { abort } }).exports as unknown as SimdModule;
  return instance;
}

/**
 * Lays `buffers` out in the module's memory, each 16-byte aligned and padded to a multiple of 4 floats (the
 * element-wise kernels run whole vectors), growing the memory as needed: a Float32Array is copied in, a number
 * reserves that many zeroed floats (outputs, accumulators), null takes no room (offset 0). Returns the byte offsets.
 */
export function stage(mod: SimdModule, buffers: Array<Float32Array | number | null>): number[] {
  const offsets: number[] = [];
  let end = mod.heapBase();
  for (const b of buffers) {
    const length = b == null ? 0 : typeof b === 'number' ? b : b.length;
    offsets.push(length === 0 ? 0 : end);
    end += (length * 4 + 15) & ~15;
  }
  const needed = end - mod.memory.buffer.byteLength;
  if (needed > 0) mod.memory.grow(Math.ceil(needed / 65536));
  buffers.forEach((b, i) => {
    if (b == null) return;
    if (typeof b === 'number') new Float32Array(mod.memory.buffer, offsets[i], b).fill(0);
    else new Float32Array(mod.memory.buffer, offsets[i], b.length).set(b);
  });
  return offsets;
}

/** A view of `length` floats of the module's memory at byte offset `offset`. */
export function simdView(mod: SimdModule, offset: number, length: number): Float32Array {
  return new Float32Array(mod.memory.buffer, offset, length);
}
