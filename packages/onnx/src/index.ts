/**
 * @nextnets/onnx: ONNX export of nextnets models (browser-safe: bytes in, bytes out). File writing and the
 * onnxruntime-node engine live in `@nextnets/onnx/node`.
 */
export { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export.js';
export type { OnnxExportOptions } from './export.js';
export { OPSET } from './emit.js';
export { onnxMetadata, onnxSummary } from './inspect.js';
export type { OnnxSummary } from './inspect.js';
export { traceForward } from './trace.js';
export type { Trace, TracedKernel, TracedRef } from './trace.js';
