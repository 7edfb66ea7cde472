import { getKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';

/** Wraps the kernel currently registered under a name (the wrapper calls it as its fallback). */
export type KernelWrap = (current: KernelFunc) => KernelFunc;

/**
 * Puts wrappers in front of the currently registered wasm kernels and remembers them, so that applying the same
 * wrappers again (registration is idempotent) does not wrap a wrapper. The stock setup functions are kept: they bind
 * the wasm backend's C entry points.
 */
export class WasmKernelWrappers {
  private readonly wrapped = new WeakSet<KernelFunc>();

  constructor(private readonly wraps: ReadonlyArray<readonly [kernelName: string, wrap: KernelWrap]>) {}

  /** Configs for the kernels not yet wrapped (empty when the wasm backend is not loaded or all are applied). */
  configs(): KernelConfig[] {
    const configs: KernelConfig[] = [];
    for (const [kernelName, wrap] of this.wraps) {
      const current = getKernel(kernelName, 'wasm');
      if (current == null || this.wrapped.has(current.kernelFunc)) continue;
      const kernelFunc = wrap(current.kernelFunc);
      this.wrapped.add(kernelFunc);
      configs.push({ kernelName, backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc });
    }
    return configs;
  }

  /** True when the kernel function is one of these wrappers. */
  has(kernelFunc: KernelFunc): boolean {
    return this.wrapped.has(kernelFunc);
  }
}
