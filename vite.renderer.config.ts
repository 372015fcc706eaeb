import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * Builds the renderer alone for the browser bridge and the tests. electron-vite needs the electron package
 * (it reads its version), which is optional, so the bridge must not depend on it.
 */
export default defineConfig({
  root: resolve(__dirname, 'src-renderer'),
  base: './',
  plugins: [svelte()],
  resolve: { alias: { '@shared': resolve(__dirname, 'src-shared') } },
  build: {
    outDir: resolve(__dirname, 'dist/renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
