import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSimdWasm, generatedModule, GENERATED } from '../scripts/build-wasm';

describe('generated wasm module', () => {
  it('is current: compiling assembly/simd.ts reproduces src/kernels/generated/simd-wasm.ts', async () => {
    const expected = generatedModule(await compileSimdWasm());
    expect(readFileSync(GENERATED, 'utf8')).toBe(expected);
  });
});
