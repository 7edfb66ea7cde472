import { defineConfig } from 'tsup';

export default defineConfig({
  // the worker is its own entry so the loader can start it from dist/worker.{js,cjs}
  entry: ['src/index.ts', 'src/node.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
});
