import { getKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';

/** Wraps the kernel currently registered under a name (the wrapper calls it as its fallback). */
export type KernelWrap = (current: KernelFunc) => KernelFunc;

/** Every wrapper built by any WasmKernelWrappers. */
const ALL_WRAPPERS = new WeakSet<KernelFunc>();

/**
 * Puts wrappers in front of the currently registered wasm kernels and remembers them, so that applying the same
 * wrappers again (registration is idempotent) does not wrap a wrapper, even when another set's wrapper now sits in
 * front of this one (two sets on one kernel: the later one wraps the earlier once). The stock setup functions are
 * kept: they bind the wasm backend's C entry points.
 */
export class WasmKernelWrappers {
  private readonly wrapped = new WeakSet<KernelFunc>();
  private readonly applied = new Set<string>();

  constructor(private readonly wraps: ReadonlyArray<readonly [kernelName: string, wrap: KernelWrap]>) {}

  /** Configs for the kernels not yet wrapped (empty when the wasm backend is not loaded or all are applied). */
  configs(): KernelConfig[] {
    const configs: KernelConfig[] = [];
    for (const [kernelName, wrap] of this.wraps) {
      const current = getKernel(kernelName, 'wasm');
      if (current == null || this.wrapped.has(current.kernelFunc)) continue;
      // ours is already in the chain, behind another set's wrapper
      if (this.applied.has(kernelName) && ALL_WRAPPERS.has(current.kernelFunc)) continue;
      const kernelFunc = wrap(current.kernelFunc);
      this.wrapped.add(kernelFunc);
      ALL_WRAPPERS.add(kernelFunc);
      this.applied.add(kernelName);
      configs.push({ kernelName, backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc });
    }
    return configs;
  }

  /** True when the kernel function is one of these wrappers. */
  has(kernelFunc: KernelFunc): boolean {
    return this.wrapped.has(kernelFunc);
  }
}
