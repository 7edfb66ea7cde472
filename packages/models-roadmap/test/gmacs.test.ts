import { beforeAll, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import { createModel, profile } from '@nextnets/core-layers';
import { ROADMAP_STEPS } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

// The paper's Figure 2 GFLOPs are multiply-adds at 224², rounded to 0.1 G; each step must be within 5%.
it.each(ROADMAP_STEPS)('$name: GMACs at 224² within 5 percent of the paper ($paperGmacs)', ({ name, paperGmacs: paper }) => {
  const model = createModel(name);
  try {
    const { gmacs } = profile(model, 224);
    expect(Math.abs(gmacs / paper - 1)).toBeLessThanOrEqual(0.05);
  } finally {
    model.dispose();
  }
});
