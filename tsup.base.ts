import { defineConfig, type Options } from 'tsup';

/** The build of every publishable package: ESM + CJS with their own declaration files, for Node 20+ and bundlers. */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({ entry, format: ['esm', 'cjs'], dts: true, sourcemap: true, clean: true, target: 'node20', ...overrides });
}
