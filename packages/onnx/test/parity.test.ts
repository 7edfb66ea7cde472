/** Every in-repo fixture, traced on the wasm backend (the product default, with its fused kernels). */
import { SMALL_FIXTURES, type SmallFixture } from '@nextnets/test-fixtures';
import { onnxParitySuite } from './parity-suite.js';

// The seven families (the roadmap's ResNet is not an export target).
const FIXTURES = SMALL_FIXTURES.filter((f) => f !== 'resnet_tiny_cfg');
const REPARAMETERIZABLE = new Set<SmallFixture>(['repvgg_tiny_cfg', 'replknet_tiny_cfg']);

onnxParitySuite(
  'wasm',
  FIXTURES.flatMap((f): Array<[SmallFixture, boolean]> => (REPARAMETERIZABLE.has(f) ? [[f, false], [f, true]] : [[f, false]])),
);
