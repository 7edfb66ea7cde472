import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise_conv2d_backprop_filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise_conv2d_backprop_input';
import { maxPoolGradConfig } from './max_pool_grad';
import { fastMatMulConfigs } from './matmul';
import { simdDepthwiseConfigs } from './simd_depthwise';
import { patchifyConvConfigs } from './patchify_conv';
import { conv2DBackpropInputConfigs } from './conv2d_backprop_input';
import { shiftedConvConfigs } from './conv2d_shifted';
import { im2colConvConfigs } from './conv2d_im2col';
import { sumLeadingAxesConfigs } from './sum_leading_axes';
import { identityAliasConfigs } from './identity_alias';
import { geluConfig, geluGradConfig, registerGeluGradient } from './gelu';
import { registerSiluGradient, siluConfig, siluGradConfig } from './silu';
import { layerNormConfig, layerNormGradConfig, registerLayerNormGradient } from './layer_norm';
import { batchNormConfig, batchNormGradConfig, registerBatchNormGradient } from './batch_norm';
import { batchNormSiluConfig, batchNormSiluGradConfig, registerBatchNormSiluGradient } from './batch_norm_silu';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum';
import { emptyTensorGuardConfigs, isEmptyTensorGuard } from './empty_tensors';
import { adamWUpdateConfig } from './adamw';
import { grnConfig, grnGradConfig, registerGrnGradient } from './grn';
import { splitVConfigs } from './split_v';
import { concatConfigs } from './concat';

/** Kernels tfjs-backend-wasm 4.22 does not have; a future release that adds them keeps its own. */
const MISSING_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  unsortedSegmentSumConfig,
];

/** Kernels tfjs-backend-wasm 4.22 has but computes wrongly; these replace the stock ones. */
const REPLACEMENT_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [maxPoolGradConfig];

/** Names of the kernels this package registers for the wasm backend (added or replaced). */
export const WASM_TRAINING_KERNELS: readonly string[] = [...MISSING_KERNEL_CONFIGS, ...REPLACEMENT_KERNEL_CONFIGS].map(
  (c) => c.kernelName,
);

/**
 * Registers the training kernels tfjs-backend-wasm 4.22 lacks, replaces its broken MaxPoolGrad, and puts the
 * empty-tensor guards (`empty_tensors.ts`: the stock XNNPACK convolutions and pools corrupt the heap on empty
 * outputs) in front of the convolution, pool, matmul, reduction and transpose kernels.
 * Idempotent: kernels already registered by an earlier call are left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of MISSING_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) tf.registerKernel(config);
  }
  for (const config of REPLACEMENT_KERNEL_CONFIGS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current != null && (current.kernelFunc === config.kernelFunc || isEmptyTensorGuard(current.kernelFunc))) continue;
    if (current != null) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  for (const config of emptyTensorGuardConfigs()) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

/**
 * Fused kernels (with their gradients) that @nextnets/core-layers and @nextnets/optim use by name when the active
 * backend has them.
 */
const FUSED_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  geluConfig,
  geluGradConfig,
  siluConfig,
  siluGradConfig,
  layerNormConfig,
  layerNormGradConfig,
  batchNormConfig,
  batchNormGradConfig,
  grnConfig,
  grnGradConfig,
  batchNormSiluConfig,
  batchNormSiluGradConfig,
  adamWUpdateConfig,
];

/**
 * Speed-ups for the wasm backend with the same results: the matmuls are replaced by wrappers that never take the
 * stock kernels' slow transposed path, depthwise convolutions (forward, both gradients) run our wasm SIMD kernels,
 * patchify convolutions (forward and input gradient) become one transpose and one matmul, other convolutions' input
 * gradients one stock forward convolution (flipped filter) (with an OpenBLAS heap GEMM, stride-1 convolutions, forward
 * and input gradient, one GEMM per filter tap instead; with a provider's im2col kernels, convolutions with few input
 * channels, forward and both gradients, by those), sums over leading axes skip the stock transpose,
 * splits and concatenations copy rows without a subarray per row,
 * Identity shares data instead of copying, and the fused GELU / SiLU / LayerNorm / BatchNorm / BatchNorm-SiLU / GRN kernels (with gradients) and the fused AdamW
 * update are registered.
 * Idempotent. Call after the wasm backend package is imported.
 */
export function registerWasmFastKernels(): void {
  // One group at a time: a later group wraps what the earlier ones registered (the patchify input gradient sits in
  // front of the flipped-convolution one, which sits in front of the stock kernel; the patchify forward in front of
  // the im2col one, which sits in front of the shifted-GEMM one).
  const replacementGroups = [
    fastMatMulConfigs,
    simdDepthwiseConfigs,
    conv2DBackpropInputConfigs,
    shiftedConvConfigs,
    im2colConvConfigs,
    patchifyConvConfigs,
    sumLeadingAxesConfigs,
    identityAliasConfigs,
    splitVConfigs,
    concatConfigs,
  ];
  for (const configsOf of replacementGroups) {
    for (const config of configsOf()) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  for (const config of FUSED_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) tf.registerKernel(config);
  }
  registerGeluGradient();
  registerSiluGradient();
  registerLayerNormGradient();
  registerBatchNormGradient();
  registerGrnGradient();
  registerBatchNormSiluGradient();
}

/** False when the environment variable NEXTNETS_WASM_FAST is '0': setupBackend then keeps the stock kernels. */
export function fastKernelsEnabled(): boolean {
  return typeof process === 'undefined' || process.env?.NEXTNETS_WASM_FAST !== '0';
}
