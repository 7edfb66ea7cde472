import '../src/index.js';
import { fixtureParitySuite } from '@nextnets/test-fixtures';

// roadmap_resnet50 with resnet_tiny_cfg's overrides against timm's ResNet (Bottleneck, resnet50 layout): parameter
// count, eval-mode logits/features, training-mode loss and every parameter gradient.
fixtureParitySuite(['resnet_tiny_cfg']);
