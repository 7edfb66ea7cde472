import * as tf from '@tensorflow/tfjs-core';
import { registerComparisonGradients } from './comparison_gradients';
import { registerLeanGradients } from './lean_gradients';

/**
 * tfjs-core's Node bundle (`tf-core.node.js`) ships no gradient functions: they live only in the
 * ESM build (`dist/register_all_gradients.js`), which `@tensorflow/tfjs` imports for its users.
 * That ESM build uses extensionless relative imports, which Node's ESM loader rejects, so in Node
 * we install a tiny resolve hook (scoped to files inside tfjs-core's dist) before importing it.
 * Kernel and gradient registries are process-global in tfjs, so the registrations are shared
 * with the CommonJS copy of tfjs-core that `import '@tensorflow/tfjs-core'` loads in Node.
 */
const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent && parent.includes('/@tensorflow/tfjs-core/dist/') && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
  }
  return next(specifier, context);
}`;

let pending: Promise<void> | null = null;

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

async function loadGradients(): Promise<void> {
  if (isNode()) {
    // process.getBuiltinModule (Node >= 20.16) rather than import('node:module'): browser bundles hold no Node import
    const nodeModule = process.getBuiltinModule('node:module');
    nodeModule.register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
  }
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
}

/** True when the gradient registry already holds tfjs-core's gradients (e.g. via @tensorflow/tfjs). */
export function gradientsRegistered(): boolean {
  return tf.getGradient(tf.Conv2D) != null && tf.getGradient(tf.Erf) != null;
}

/**
 * Registers every tfjs-core gradient function, plus zero gradients for comparison/logical kernels and leaner Sum/Mean/Relu
 * gradients (lean_gradients.ts) (idempotent).
 * Without this, `tf.grads` in Node fails with "gradient function not found" for every op unless
 * `@tensorflow/tfjs` or `tfjs-node` was imported.
 */
export async function registerGradients(): Promise<void> {
  if (!gradientsRegistered()) {
    pending ??= loadGradients().catch((error: unknown) => {
      pending = null;
      throw new Error(`could not register tfjs-core gradients: ${(error as Error).message.split('\n')[0]}`);
    });
    await pending;
  }
  registerComparisonGradients();
  registerLeanGradients();
}
