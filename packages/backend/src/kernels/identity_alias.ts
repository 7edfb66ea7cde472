import { Cast, getKernel, Identity, type CastAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { WasmKernelWrappers } from './kernel_wrapper';
import { asWasmBackend } from './wasm_tensors';

/**
 * Identity without a copy: the output shares the input's data (reference counted, exactly like the wasm Reshape
 * kernel and tfjs-backend-cpu's Identity). tfjs tensors are immutable and no kernel writes into its inputs, so
 * sharing is safe. The stock wasm Identity copies the whole buffer, and every tensor a `tf.customGrad` saves for
 * the backward (the fused matmul / depthwise ops save their inputs and output) goes through it.
 */
export const identityAlias: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  asWasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/**
 * Cast to the dtype the tensor already has is Identity too (tfjs-backend-cpu's Cast does the same). tfjs-core's
 * Multiply gradient casts both operands to float32, so every float32 product in a backward pass (squeeze-excitation
 * gates, layer scales) would otherwise copy its operands.
 */
const castWrappers = new WasmKernelWrappers([
  [Cast, (fallback) => (args) => ((args.attrs as unknown as CastAttrs).dtype === (args.inputs.x as TensorInfo).dtype ? identityAlias(args) : fallback(args))],
]);

/** Configs replacing the wasm Identity with `identityAlias` and putting the same-dtype Cast in front of the wasm Cast; empty if already applied. */
export function identityAliasConfigs(): KernelConfig[] {
  const configs = castWrappers.configs();
  const current = getKernel(Identity, 'wasm');
  if (current == null || current.kernelFunc === identityAlias) return configs;
  return [{ kernelName: Identity, backendName: 'wasm', kernelFunc: identityAlias }, ...configs];
}
