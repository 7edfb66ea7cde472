import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // assembly/: AssemblyScript, not TypeScript (decorators such as @inline on functions do not parse as TS); asc
  // compiles and checks it in the build, and packages/backend/test/wasm_build.test.ts keeps the binaries current.
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/*.wasm', '**/generated/**', '**/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The consumer smoke test's CommonJS script is what a CommonJS user writes.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
