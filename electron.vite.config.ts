import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

/**
 * The Electron app's build. It needs the (optional) electron package; the browser bridge and the tests build
 * the renderer with vite.renderer.config.ts instead, so they work where Electron is absent.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        output: { format: 'es', entryFileNames: '[name].js' },
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          // Child processes, found next to main's bundle by src-main/child-entry.ts.
          trainer: resolve(__dirname, 'src-main/trainer/child.ts'),
          'eval-worker': resolve(__dirname, 'src-main/evaluation/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be CommonJS.
      rollupOptions: { input: { index: resolve(__dirname, 'src-preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
});
