import { getKernel, Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
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

/** A config replacing the wasm Identity with `identityAlias`; empty if already applied. */
export function identityAliasConfigs(): KernelConfig[] {
  const current = getKernel(Identity, 'wasm');
  if (current == null || current.kernelFunc === identityAlias) return [];
  return [{ kernelName: Identity, backendName: 'wasm', kernelFunc: identityAlias }];
}
