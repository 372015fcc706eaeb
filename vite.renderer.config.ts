import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * Builds the renderer alone for the browser bridge and the tests. electron-vite needs the electron package
 * (it reads its version), which is optional, so the bridge must not depend on it.
 */
export default defineConfig({
  root: resolve(import.meta.dirname, 'src-renderer'),
  base: './',
  plugins: [svelte()],
  resolve: { alias: { '@shared': resolve(import.meta.dirname, 'src-shared') } },
  build: {
    outDir: resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
