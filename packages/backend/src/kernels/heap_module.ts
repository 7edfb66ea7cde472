import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The part of the global WebAssembly API used here (the TypeScript libs in use declare only its types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

let enabled = true;

/** Switches our wasm SIMD modules off (the callers' scalar / stock paths run instead) or back on; for tests. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** False after `setSimdKernelsEnabled(false)`. */
export function simdKernelsEnabled(): boolean {
  return enabled;
}

/** Instances per tfjs memory, per module (null: cannot be used there). */
const instances = new WeakMap<object, Map<string, object | null>>();

/**
 * The exports of one of our AssemblyScript modules (assembly/*.ts, all built with an imported memory),
 * instantiated on tfjs-backend-wasm's own memory so that its pointers are tensor offsets on the
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
  if (wasmSimdValidates(base64)) {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    try {
      exports = new wasm.Instance(new wasm.Module(decode(base64)), { env: { memory } }).exports;
    } catch {
      exports = null;
    }
  }
  modules.set(base64, exports);
  return exports as T | null;
}

function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/** True when our modules are switched on and this engine validates the module's bytes (it has wasm SIMD). */
export function wasmSimdValidates(base64: string): boolean {
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  return enabled && wasm != null && wasm.validate(decode(base64));
}
