/** Every in-repo fixture, traced on the wasm backend (the product default, with its fused kernels). */
import type { SmallFixture } from '@nextnets/test-fixtures';
import { onnxParitySuite } from './parity-suite.js';

const FIXTURES: SmallFixture[] = [
  'convnext_tiny_cfg',
  'convnextv2_tiny_cfg',
  'inception_next_tiny_cfg',
  'repvgg_tiny_cfg',
  'replknet_tiny_cfg',
  'mobilenext_tiny_cfg',
  'efficientnetv2_tiny_cfg',
];
const REPARAMETERIZABLE = new Set<SmallFixture>(['repvgg_tiny_cfg', 'replknet_tiny_cfg']);

onnxParitySuite(
  'wasm',
  FIXTURES.flatMap((f): Array<[SmallFixture, boolean]> => (REPARAMETERIZABLE.has(f) ? [[f, false], [f, true]] : [[f, false]])),
);
