import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWasm, generatedModule, sectionIds, WASM_MODULES } from '../scripts/build-wasm';

describe('generated wasm modules', () => {
  it.each(WASM_MODULES.map((spec) => [spec.name, spec] as const))(
    'assembly/%s.ts compiles to the committed src/kernels/generated file',
    async (_name, spec) => {
      const binary = await compileWasm(spec);
      expect(readFileSync(spec.generated, 'utf8')).toBe(generatedModule(spec, binary));
      // A module working on the imported tfjs heap must not carry data segments (section 11) to write into it.
      expect(sectionIds(binary)).not.toContain(11);
    },
  );
});
