import { fixtureParitySuite } from '@nextnets/test-fixtures';
import '../src/index.js';

fixtureParitySuite(['mobilenext_tiny_cfg', 'efficientnetv2_tiny_cfg']);
