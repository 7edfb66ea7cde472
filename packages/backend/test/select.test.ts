import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gradientsRegistered, parseBackendChoice, setupBackend, WASM_TRAINING_KERNELS } from '../src/index';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

describe('parseBackendChoice', () => {
  it('accepts every choice, case- and space-insensitively', () => {
    expect(parseBackendChoice('auto')).toBe('auto');
    expect(parseBackendChoice(' WASM ')).toBe('wasm');
    expect(parseBackendChoice('tensorflow-gpu')).toBe('tensorflow-gpu');
    expect(parseBackendChoice('cpu')).toBe('cpu');
    expect(parseBackendChoice('WebGL')).toBe('webgl');
    expect(parseBackendChoice('webgpu')).toBe('webgpu');
  });

  it('rejects unknown names with a one-line error listing the choices', () => {
    expect(() => parseBackendChoice('metal')).toThrow(
      /^unknown backend 'metal': expected one of auto, wasm, tensorflow, tensorflow-gpu, cpu, webgl, webgpu$/,
    );
  });
});

describe('setupBackend', () => {
  it.skipIf(nativeInstalled)("'auto' falls back to wasm when no tfjs-node package is installed", async () => {
    expect(await setupBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    for (const kernel of WASM_TRAINING_KERNELS) expect(tf.getKernel(kernel, 'wasm')).toBeDefined();
    expect(gradientsRegistered()).toBe(true);
  });

  it.skipIf(nativeInstalled)("explicit 'tensorflow' / 'tensorflow-gpu' throw a one-line install hint", async () => {
    await expect(setupBackend('tensorflow')).rejects.toThrow(
      /^backend 'tensorflow' is not available: install @tensorflow\/tfjs-node \(pnpm add @tensorflow\/tfjs-node\)$/,
    );
    await expect(setupBackend('tensorflow-gpu')).rejects.toThrow(
      /^backend 'tensorflow-gpu' is not available: install @tensorflow\/tfjs-node-gpu \(pnpm add @tensorflow\/tfjs-node-gpu\)$/,
    );
  });

  it('rejects an unknown name passed without parsing', async () => {
    await expect(setupBackend('metal' as never)).rejects.toThrow(/^unknown backend 'metal'/);
  });

  it("explicit 'webgpu' outside a browser (no navigator.gpu) fails with one line and leaves the backend as it was", async () => {
    expect(await setupBackend('wasm')).toBe('wasm');
    await expect(setupBackend('webgpu')).rejects.toThrow(/^backend 'webgpu' failed to initialise: tf\.setBackend\('webgpu'\) returned false/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('switches between cpu and wasm, and repeated or concurrent calls are idempotent', async () => {
    expect(await setupBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const names = await Promise.all([setupBackend('wasm'), setupBackend('wasm'), setupBackend('wasm')]);
    expect(names).toEqual(['wasm', 'wasm', 'wasm']);
    // the added kernels and the wrapped ones (some wrapped twice, e.g. Conv2DBackpropInput) are not wrapped again
    const kernelNames = [...WASM_TRAINING_KERNELS, tf.Conv2D, tf.Conv2DBackpropInput, tf.BatchMatMul, tf._FusedMatMul, tf.Sum, tf.Identity];
    const kernels = kernelNames.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    expect(await setupBackend('wasm')).toBe('wasm');
    expect(kernelNames.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc)).toEqual(kernels);
  });

  it('makes tf.grads work after setup (tfjs-core alone registers no gradients in Node)', async () => {
    await setupBackend('wasm');
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3])).arraySync());
    expect(g).toEqual([2, -4, 6]);
  });
});
