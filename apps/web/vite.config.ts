import { defineConfig } from 'vite';

export default defineConfig({
  // relative asset URLs: the built app works from any folder of a static host
  base: './',
  resolve: {
    // the workspace packages' TypeScript source (their `@nextnets/source` export), so no prior package build is needed
    conditions: ['@nextnets/source', 'module', 'browser', 'development|production'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});
