import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, listModels, type EfficientNetV2 } from '../src/index.js';

const fixtures = fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));
const manifest = (name: string): { param_count_num_classes_1000: number } =>
  JSON.parse(readFileSync(join(fixtures, name, 'manifest.json'), 'utf8'));

// Spec §7 (MobileNeXt, calc from mnext.py) and §8 (EfficientNetV2, calc = timm); rw_t from its fixture manifest.
const EXPECTED: Record<string, number> = {
  mobilenext_100: 3_535_416,
  mobilenext_140: 6_126_168,
  mobilenext_075: 2_766_168,
  mobilenext_050: 2_152_304,
  mobilenext_035: 1_913_976,
  efficientnetv2_s: 21_458_488,
  efficientnetv2_m: 54_139_356,
  efficientnetv2_l: 118_515_272,
  efficientnetv2_xl: 208_119_808,
  tf_efficientnetv2_s: 21_458_488,
  tf_efficientnetv2_m: 54_139_356,
  tf_efficientnetv2_l: 118_515_272,
  tf_efficientnetv2_xl: 208_119_808,
  tf_efficientnetv2_b0: 7_139_704,
  tf_efficientnetv2_b1: 8_141_052,
  tf_efficientnetv2_b2: 10_096_086,
  tf_efficientnetv2_b3: 14_358_406,
  efficientnetv2_rw_t: manifest('efficientnetv2_rw_t').param_count_num_classes_1000,
};

describe('parameter counts with 1000 classes', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('registers exactly the expected variants', () => {
    expect([...listModels('mobilenext'), ...listModels('efficientnetv2')].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(name, () => {
      const model = withShapeOnlyInit(() => createModel(name));
      expect(model.numParams()).toBe(expected);
    });
  }

  it('matches the fixture manifest for tf_efficientnetv2_b0', () => {
    expect(EXPECTED.tf_efficientnetv2_b0).toBe(manifest('tf_efficientnetv2_b0').param_count_num_classes_1000);
  });

  it('has the spec block counts', () => {
    const counts = { efficientnetv2_s: 40, efficientnetv2_m: 57, efficientnetv2_l: 79, efficientnetv2_xl: 100, tf_efficientnetv2_b0: 21, tf_efficientnetv2_b1: 27, tf_efficientnetv2_b2: 28, tf_efficientnetv2_b3: 32 };
    for (const [name, n] of Object.entries(counts)) {
      expect((withShapeOnlyInit(() => createModel(name)) as EfficientNetV2).blockCount, name).toBe(n);
    }
  });
});
