// `npm run lint` (also part of `npm test`). Its main job is the import-layering rule in lint/layers.mjs:
// which folder may import which, and why. Besides it, typescript-eslint's recommended rules without type
// information (fast), tuned to this code's conventions rather than reformatting it.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { layersRule } from './lint/layers.mjs';
import { svelteScripts } from './lint/svelte-scripts.mjs';

const local = { rules: { layers: layersRule }, processors: { 'svelte-scripts': svelteScripts } };

export default defineConfig(
  { ignores: ['out/**', 'dist/**', 'native/**', 'resources/**', 'test-artifacts/**', '.fer-test-*/**', '**/*.tmp.ts', 'types/**', '**/*.d.ts'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    ignores: ['**/*.svelte/*.ts'],
    extends: [tseslint.configs.recommended],
    plugins: { local },
    rules: {
      'local/layers': 'error',
      'no-debugger': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
      // `const { dropped: _dropped, ...rest } = x` is how this code omits a field.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, varsIgnorePattern: '^_', argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // `if (x) (a = 1), (b = 2);` is a deliberate idiom in the numeric code and tests.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  // Svelte components: their <script> blocks, for the layering rule only (no Svelte parser is installed).
  { files: ['**/*.svelte'], plugins: { local }, processor: 'local/svelte-scripts' },
  {
    files: ['**/*.svelte/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { local },
    rules: { 'local/layers': 'error' },
  },
);
