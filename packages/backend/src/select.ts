import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients';
import { fastKernelsEnabled, registerWasmFastKernels, registerWasmTrainingKernels } from './kernels/register';
import { enableRelaxedSimd } from './kernels/relaxed_simd';

export type BackendChoice = 'auto' | 'wasm' | 'tensorflow' | 'tensorflow-gpu' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'tensorflow', 'tensorflow-gpu', 'cpu'];

type ConcreteChoice = Exclude<BackendChoice, 'auto'>;

/** How each concrete choice is loaded: the package whose import registers it and the tfjs backend name. */
const CANDIDATES: Record<ConcreteChoice, { pkg: string; tfName: string }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
};

/** Order in which 'auto' tries the backends: native GPU, native CPU, wasm (the installed default), plain JS. */
const AUTO_ORDER: readonly ConcreteChoice[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

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
      default: {
        // Optional peer dependencies: the specifier is held in a variable so bundlers do not try to resolve it.
        const pkg = CANDIDATES[choice].pkg;
        await import(pkg);
        return true;
      }
    }
  } catch {
    return false;
  }
}

type Activation = { ok: true; tfName: string } | { ok: false; reason: 'missing' | 'init-failed' };

async function activate(choice: ConcreteChoice): Promise<Activation> {
  if (!(await loadBackendPackage(choice))) return { ok: false, reason: 'missing' };
  const { tfName } = CANDIDATES[choice];
  if (choice === 'wasm') {
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
 * and resolves to the tfjs backend name in use ('tensorflow', 'wasm' or 'cpu'). Idempotent; concurrent
 * calls run one after the other.
 */
export async function setupBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const run = queue.then(() => setupNow(choice));
  queue = run.catch(() => undefined);
  return run;
}

async function setupNow(choice: BackendChoice): Promise<string> {
  if (choice !== 'auto' && !BACKEND_CHOICES.includes(choice)) parseBackendChoice(String(choice));
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  for (const candidate of order) {
    const result = await activate(candidate);
    if (result.ok) {
      await registerGradients();
      return result.tfName;
    }
    if (choice !== 'auto') throw unavailableError(choice, result.reason);
  }
  throw new Error(`no tfjs backend could be initialised (tried ${AUTO_ORDER.join(', ')})`);
}
