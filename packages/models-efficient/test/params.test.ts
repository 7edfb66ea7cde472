import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import { withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, listModels, type EfficientNetV2 } from '../src/index.js';


// MobileNeXt: counted from the official mnext.py; EfficientNetV2: timm aa4b5850's counts with 1000 classes.
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
  efficientnetv2_rw_t: 13_649_388,
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


  it('has the spec block counts', () => {
    const counts = { efficientnetv2_s: 40, efficientnetv2_m: 57, efficientnetv2_l: 79, efficientnetv2_xl: 100, tf_efficientnetv2_b0: 21, tf_efficientnetv2_b1: 27, tf_efficientnetv2_b2: 28, tf_efficientnetv2_b3: 32 };
    for (const [name, n] of Object.entries(counts)) {
      expect((withShapeOnlyInit(() => createModel(name)) as EfficientNetV2).blockCount, name).toBe(n);
    }
  });
});
