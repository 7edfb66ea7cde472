/** Traced on tfjs's cpu backend: LayerNorm and GELU arrive as composite kernels (moments, erf), not fused ones. */
import { onnxParitySuite } from './parity-suite.js';

onnxParitySuite('cpu', [
  ['convnextv2_tiny_cfg', false],
  ['inception_next_tiny_cfg', false],
]);
