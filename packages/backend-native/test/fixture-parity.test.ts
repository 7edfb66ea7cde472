import '@nextnets/models-convnext';
import '@nextnets/models-efficient';
import '@nextnets/models-rep';
import '@nextnets/models-roadmap';
import { fixtureParitySuite } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe } from 'vitest';
import { stopNativeGemm, useNativeGemm } from '../src/index';
import { available } from './availability';

// The reference parity suite (forward and every parameter's gradient against PyTorch) with the addon computing the
// matmuls and dense convolution gradients (one thread: the addon's own AVX-512 GEMM on a CPU that has it, else
// OpenBLAS; test/native-gemm.test.ts covers OpenBLAS with two threads), the depthwise convolutions, GELU, LayerNorm,
// BatchNorm and SiLU: ConvNeXt V1/V2 (1×1 convs as matmuls, 7×7 depthwise, GELU), InceptionNeXt (3×3, 1×k and k×1
// depthwise branches), RepLKNet (large depthwise kernels), RepVGG (dense 3×3 convs), ResNet and EfficientNetV2
// (BatchNorm→SiLU, SiLU).
describe.skipIf(!available)('fixture parity with the native kernels', () => {
  fixtureParitySuite([
    'convnext_tiny_cfg',
    'convnextv2_tiny_cfg',
    'inception_next_tiny_cfg',
    'replknet_tiny_cfg',
    'repvgg_tiny_cfg',
    'resnet_tiny_cfg',
    'efficientnetv2_tiny_cfg',
  ]);
  beforeAll(() => {
    useNativeGemm({ threads: 1 });
  });
  afterAll(() => stopNativeGemm());
});
