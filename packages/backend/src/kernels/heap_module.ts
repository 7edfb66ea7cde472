import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernelsEnabled } from './simd_module';

/** The part of the global WebAssembly API used here (the TypeScript libs in use declare only its types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

/** Instances per tfjs memory, per module (null: cannot be used there). */
const instances = new WeakMap<object, Map<string, object | null>>();

/**
 * The exports of one of our AssemblyScript modules built with an imported memory (assembly/adamw.ts,
 * assembly/matmul.ts), instantiated on tfjs-backend-wasm's own memory so that its pointers are tensor offsets on the
 * tfjs heap and nothing is copied. Null when the SIMD kernels are switched off, when this engine lacks wasm SIMD, or
 * when the memory cannot be imported (e.g. a shared, threaded memory the module does not declare): callers then take
 * their fallback path. One instance per memory and module, made on first use.
 */
export function heapModule<T extends object>(backend: BackendWasm, base64: string): T | null {
  if (!simdKernelsEnabled()) return null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: object } }).asm?.memory;
  if (memory == null) return null;
  let modules = instances.get(memory);
  if (modules == null) instances.set(memory, (modules = new Map()));
  if (modules.has(base64)) return modules.get(base64) as T | null;
  let exports: object | null = null;
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  if (wasm != null && wasm.validate(bytes)) {
    try {
      exports = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports;
    } catch {
      exports = null;
    }
  }
  modules.set(base64, exports);
  return exports as T | null;
}
