import { fixtureParitySuite } from '@nextnets/test-fixtures';
import '../src/index.js';

fixtureParitySuite(['repvgg_tiny_cfg', 'replknet_tiny_cfg']);
