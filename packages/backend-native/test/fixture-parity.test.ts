import '@nextnets/models-convnext';
import '@nextnets/models-efficient';
import '@nextnets/models-rep';
import '@nextnets/models-roadmap';
import { fixtureParitySuite } from '@nextnets/test-fixtures';
import { afterAll, beforeAll, describe } from 'vitest';
import { nativeGemmAvailable, stopNativeGemm, useNativeGemm } from '../src/index';

// The reference parity suite (forward and every parameter's gradient against PyTorch) with OpenBLAS computing the
// matmuls and dense convolution gradients: ConvNeXt (1×1 convs as matmuls), RepVGG (dense 3×3 convs) and ResNet; and
// EfficientNetV2, whose BatchNorm, SiLU and BatchNorm-SiLU kernels the addon computes too.
describe.skipIf(!nativeGemmAvailable())('fixture parity with the native GEMM', () => {
  fixtureParitySuite(['convnext_tiny_cfg', 'repvgg_tiny_cfg', 'resnet_tiny_cfg', 'efficientnetv2_tiny_cfg']);
  beforeAll(() => {
    useNativeGemm({ threads: 2 });
  });
  afterAll(() => stopNativeGemm());
});
