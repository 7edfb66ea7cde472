/**
 * Backend choice for the page: WebGPU, WebGL or wasm through `setupBackend` from @nextnets/backend. The wasm
 * binaries are emitted by Vite as assets (`?url` imports) and handed to tfjs through `setWasmPaths`.
 */
import { setupBackend } from '@nextnets/backend';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const WEB_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type WebBackend = (typeof WEB_BACKENDS)[number];

export const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

/** Activates `name` ('auto': WebGPU, then WebGL, then wasm) and resolves to the tfjs backend name in use. */
export function useBackend(name: WebBackend | 'auto'): Promise<string> {
  return setupBackend(name, { wasmPaths: WASM_PATHS });
}
