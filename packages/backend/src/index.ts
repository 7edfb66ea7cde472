export { BACKEND_CHOICES, parseBackendChoice, setupBackend, type BackendChoice, type SetupBackendOptions, type WasmPaths } from './select';
export { gradientsRegistered, registerGradients } from './gradients';
export { fastKernelsEnabled, registerWasmFastKernels, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './kernels/register';
export { conv2DBackpropFilter } from './kernels/conv2d_backprop_filter';
export { depthwiseConv2dNativeBackpropFilter } from './kernels/depthwise_conv2d_backprop_filter';
export { depthwiseConv2dNativeBackpropInput } from './kernels/depthwise_conv2d_backprop_input';
export { unsortedSegmentSum } from './kernels/unsorted_segment_sum';
export { registerComparisonGradients } from './comparison_gradients';
export { maxPoolGrad } from './kernels/max_pool_grad';
