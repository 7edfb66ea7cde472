import { fixtureParitySuite } from '@nextnets/test-fixtures';
import '../src/index.js';

fixtureParitySuite(['convnext_tiny_cfg', 'convnextv2_tiny_cfg', 'inception_next_tiny_cfg']);
