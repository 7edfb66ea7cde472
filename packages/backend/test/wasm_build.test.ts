import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileDepthwiseWasm, generatedModule, GENERATED } from '../scripts/build-wasm';

describe('generated wasm module', () => {
  it('is current: compiling assembly/depthwise.ts reproduces src/kernels/generated/depthwise-wasm.ts', async () => {
    const expected = generatedModule(await compileDepthwiseWasm());
    expect(readFileSync(GENERATED, 'utf8')).toBe(expected);
  });
});
