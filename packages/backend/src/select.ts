import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients';
import { fastKernelsEnabled, registerWasmFastKernels, registerWasmTrainingKernels } from './kernels/register';
import { enableRelaxedSimd } from './kernels/relaxed_simd';

export type BackendChoice = 'auto' | 'wasm' | 'tensorflow' | 'tensorflow-gpu' | 'cpu' | 'webgl' | 'webgpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'tensorflow', 'tensorflow-gpu', 'cpu', 'webgl', 'webgpu'];

/**
 * Where tfjs-backend-wasm finds its `.wasm` binaries: a URL prefix ending in '/' or a map from file name
 * (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm`) to URL — the
 * argument of tfjs' `setWasmPaths`. Needed in a browser bundle, where the binaries are not beside the script.
 */
export type WasmPaths = string | Partial<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;

export interface SetupBackendOptions {
  /** For 'wasm' (and 'auto' when it reaches wasm): passed to `setWasmPaths` before the backend initialises. */
  wasmPaths?: WasmPaths;
}

type ConcreteChoice = Exclude<BackendChoice, 'auto'>;

/** How each concrete choice is loaded: the package whose import registers it and the tfjs backend name. */
const CANDIDATES: Record<ConcreteChoice, { pkg: string; tfName: string }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
  webgl: { pkg: '@tensorflow/tfjs-backend-webgl', tfName: 'webgl' },
  webgpu: { pkg: '@tensorflow/tfjs-backend-webgpu', tfName: 'webgpu' },
};

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

/**
 * Order in which 'auto' tries the backends. Node: native GPU, native CPU, wasm (the installed default), plain JS.
 * Browsers: WebGPU, WebGL, wasm, plain JS (a backend whose adapter or context is missing fails and the next is tried).
 */
function autoOrder(): readonly ConcreteChoice[] {
  return isNode() ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
}

/** Parses a user-supplied backend name (CLI flag, config file). */
export function parseBackendChoice(s: string): BackendChoice {
  const name = s.trim().toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(name)) return name as BackendChoice;
  throw new Error(`unknown backend '${s}': expected one of ${BACKEND_CHOICES.join(', ')}`);
}

/** Imports the package that registers the backend; resolves false when it is not installed or fails to load. */
async function loadBackendPackage(choice: ConcreteChoice): Promise<boolean> {
  try {
    switch (choice) {
      case 'wasm':
        await import('@tensorflow/tfjs-backend-wasm');
        return true;
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        return true;
      case 'webgl':
        await import('@tensorflow/tfjs-backend-webgl');
        return true;
      case 'webgpu':
        await import('@tensorflow/tfjs-backend-webgpu');
        return true;
      default: {
        // Optional peer dependencies: the specifier is held in a variable so bundlers do not try to resolve it.
        const pkg = CANDIDATES[choice].pkg;
        await import(/* @vite-ignore */ /* webpackIgnore: true */ pkg);
        return true;
      }
    }
  } catch {
    return false;
  }
}

type Activation = { ok: true; tfName: string } | { ok: false; reason: 'missing' | 'init-failed' };

async function activate(choice: ConcreteChoice, options: SetupBackendOptions): Promise<Activation> {
  if (!(await loadBackendPackage(choice))) return { ok: false, reason: 'missing' };
  const { tfName } = CANDIDATES[choice];
  if (choice === 'wasm') {
    if (options.wasmPaths !== undefined && tf.engine().backendName !== tfName) {
      const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
      setWasmPaths(options.wasmPaths);
    }
    await enableRelaxedSimd();
    registerWasmTrainingKernels();
    if (fastKernelsEnabled()) registerWasmFastKernels();
  }
  if (tf.engine().backendName !== tfName) {
    // setBackend resolves false (after logging a warning) when the backend's initialisation fails.
    const ok = await tf.setBackend(tfName).catch(() => false);
    if (!ok) return { ok: false, reason: 'init-failed' };
  }
  await tf.ready();
  return { ok: true, tfName };
}

function unavailableError(choice: ConcreteChoice, reason: 'missing' | 'init-failed'): Error {
  const { pkg, tfName } = CANDIDATES[choice];
  if (reason === 'init-failed') {
    return new Error(`backend '${choice}' failed to initialise: tf.setBackend('${tfName}') returned false (see the tfjs warning)`);
  }
  return new Error(`backend '${choice}' is not available: install ${pkg} (pnpm add ${pkg})`);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects the tfjs backend, registers tfjs-core's gradients and (for wasm) the missing training kernels,
 * and resolves to the tfjs backend name in use ('tensorflow', 'wasm', 'cpu', 'webgl' or 'webgpu'). Idempotent;
 * concurrent calls run one after the other. In a browser bundle pass `wasmPaths` (see {@link WasmPaths}).
 */
export async function setupBackend(choice: BackendChoice = 'auto', options: SetupBackendOptions = {}): Promise<string> {
  const run = queue.then(() => setupNow(choice, options));
  queue = run.catch(() => undefined);
  return run;
}

async function setupNow(choice: BackendChoice, options: SetupBackendOptions): Promise<string> {
  if (choice !== 'auto' && !BACKEND_CHOICES.includes(choice)) parseBackendChoice(String(choice));
  const order = choice === 'auto' ? autoOrder() : [choice];
  for (const candidate of order) {
    const result = await activate(candidate, options);
    if (result.ok) {
      await registerGradients();
      return result.tfName;
    }
    if (choice !== 'auto') throw unavailableError(choice, result.reason);
  }
  throw new Error(`no tfjs backend could be initialised (tried ${order.join(', ')})`);
}
