// `npm run lint` (also part of `npm test`). Its main job is the import-layering rule in lint/layers.mjs:
// which folder may import which, and why. Besides it, typescript-eslint's recommended rules without type
// information (fast), tuned to this code's conventions rather than reformatting it.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { layersRule } from './lint/layers.mjs';
import { svelteScripts } from './lint/svelte-scripts.mjs';

const SQL_WHY = 'SQL belongs in a repository under src-main/store/ (the one data layer): add or extend a function there and call it.';
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
  // One data layer: SQL statements are written only in src-main/store/ (the repositories), so a schema change has
  // one folder to visit. Other layers call repository functions; a service may still group several of them in one
  // db.transaction (a unit of work), which runs no SQL of its own.
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/store/**'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(prepare|pragma)$/][arguments.length=1]", message: SQL_WHY },
        { selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='exec'][arguments.0.type=/^(Literal|TemplateLiteral)$/]", message: SQL_WHY },
      ],
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
