/**
 * Compiles the AssemblyScript modules (wasm SIMD) and writes each binary, base64-encoded, to
 * src/kernels/generated/<name>-wasm.ts so that tsup bundles it like any other module (no .wasm file to locate at
 * run time): assembly/simd.ts, assembly/adamw.ts, assembly/matmul.ts, assembly/gelu.ts and assembly/silu.ts (each twice: plain SIMD and
 * relaxed SIMD), assembly/grn.ts, assembly/rows.ts and assembly/reduce.ts. Each imports the tfjs wasm memory and works on the tensors in place, so it
 * must contain no data segments: checked here. Run by `pnpm build` before
 * tsup; test/wasm_build.test.ts checks that the committed files are current. `--check` compiles and exits 1 when a
 * committed file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

/** Optimised, SIMD, the stub runtime (the kernels allocate nothing), no bounds assertions, the tfjs memory imported. */
const COMMON_FLAGS = ['-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--importMemory', '--initialMemory', '0'];

export interface WasmModuleSpec {
  name: string;
  source: string;
  generated: string;
  /** Name of the exported base64 constant. */
  constant: string;
  flags: string[];
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export const WASM_MODULES: readonly WasmModuleSpec[] = [
  {
    name: 'simd',
    source: here('../assembly/simd.ts'),
    generated: here('../src/kernels/generated/simd-wasm.ts'),
    constant: 'SIMD_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'adamw',
    source: here('../assembly/adamw.ts'),
    generated: here('../src/kernels/generated/adamw-wasm.ts'),
    constant: 'ADAMW_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'matmul',
    source: here('../assembly/matmul.ts'),
    generated: here('../src/kernels/generated/matmul-wasm.ts'),
    constant: 'MATMUL_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'matmul-relaxed',
    source: here('../assembly/matmul.ts'),
    generated: here('../src/kernels/generated/matmul-relaxed-wasm.ts'),
    constant: 'MATMUL_RELAXED_WASM_BASE64',
    flags: [...COMMON_FLAGS, '--enable', 'relaxed-simd'],
  },
  {
    name: 'gelu',
    source: here('../assembly/gelu.ts'),
    generated: here('../src/kernels/generated/gelu-wasm.ts'),
    constant: 'GELU_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'gelu-relaxed',
    source: here('../assembly/gelu.ts'),
    generated: here('../src/kernels/generated/gelu-relaxed-wasm.ts'),
    constant: 'GELU_RELAXED_WASM_BASE64',
    flags: [...COMMON_FLAGS, '--enable', 'relaxed-simd'],
  },
  {
    name: 'silu',
    source: here('../assembly/silu.ts'),
    generated: here('../src/kernels/generated/silu-wasm.ts'),
    constant: 'SILU_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'silu-relaxed',
    source: here('../assembly/silu.ts'),
    generated: here('../src/kernels/generated/silu-relaxed-wasm.ts'),
    constant: 'SILU_RELAXED_WASM_BASE64',
    flags: [...COMMON_FLAGS, '--enable', 'relaxed-simd'],
  },
  {
    name: 'grn',
    source: here('../assembly/grn.ts'),
    generated: here('../src/kernels/generated/grn-wasm.ts'),
    constant: 'GRN_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'rows',
    source: here('../assembly/rows.ts'),
    generated: here('../src/kernels/generated/rows-wasm.ts'),
    constant: 'ROWS_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
  {
    name: 'reduce',
    source: here('../assembly/reduce.ts'),
    generated: here('../src/kernels/generated/reduce-wasm.ts'),
    constant: 'REDUCE_WASM_BASE64',
    flags: COMMON_FLAGS,
  },
];

/** Ids of the sections of a wasm binary, in order. */
export function sectionIds(binary: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic + version
  while (at < binary.length) {
    const id = binary[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = binary[at++];
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    ids.push(id);
    at += size;
  }
  return ids;
}

const DATA_SECTION = 11;
const DATA_COUNT_SECTION = 12;

/** Compiles one AssemblyScript module and returns the wasm binary. */
export async function compileWasm(spec: WasmModuleSpec): Promise<Uint8Array> {
  let binary: Uint8Array | null = null;
  const errors: string[] = [];
  const { error } = await asc.main([spec.source, '--outFile', `${spec.name}.wasm`, ...spec.flags], {
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
    stderr: { write: (chunk: string | Uint8Array) => errors.push(String(chunk)) } as never,
  });
  if (error) throw new Error(`asc failed on ${spec.source}: ${error.message} ${errors.join('')}`.trim());
  if (binary == null) throw new Error(`asc produced no wasm for ${spec.source}`);
  const ids = sectionIds(binary);
  if (ids.includes(DATA_SECTION) || ids.includes(DATA_COUNT_SECTION)) {
    throw new Error(`${spec.source}: compiled with data segments, which would overwrite the imported tfjs heap`);
  }
  return binary;
}

/** The TypeScript module embedding the binary. */
export function generatedModule(spec: WasmModuleSpec, binary: Uint8Array): string {
  const base64 = Buffer.from(binary).toString('base64');
  const source = `assembly/${basename(spec.source)}`;
  return [
    `// Generated by scripts/build-wasm.ts from ${source} (pnpm build). Do not edit.`,
    `export const ${spec.constant} =\n  '${base64}';`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const spec of WASM_MODULES) {
    const text = generatedModule(spec, await compileWasm(spec));
    if (!check) {
      writeFileSync(spec.generated, text);
    } else if (readFileSync(spec.generated, 'utf8') !== text) {
      process.stderr.write(`${spec.generated} is stale: run pnpm --filter @nextnets/backend build\n`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
