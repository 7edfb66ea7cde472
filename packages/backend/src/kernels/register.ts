import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise_conv2d_backprop_filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise_conv2d_backprop_input';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum';

const WASM_TRAINING_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  unsortedSegmentSumConfig,
];

/** Names of the kernels this package adds to the wasm backend. */
export const WASM_TRAINING_KERNELS: readonly string[] = WASM_TRAINING_KERNEL_CONFIGS.map((c) => c.kernelName);

/**
 * Registers the training kernels tfjs-backend-wasm 4.22 lacks. Idempotent: a kernel that is already
 * registered for 'wasm' (by an earlier call, or by a future tfjs release) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) tf.registerKernel(config);
  }
}
