import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Node-side dependencies (native modules, tfjs, optional tfjs-node) load from node_modules.
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'main/hosts/electron/main.ts'),
          cli: resolve(root, 'main/hosts/cli/index.ts'),
          'engine-worker': resolve(root, 'ml/worker/entry.ts'),
          'decode-worker': resolve(root, 'ml/decode/worker.ts'),
          'gradient-worker': resolve(root, 'ml/parallel/gradient-worker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require node_modules: bundle zod and the contract into it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // Icons and other static files shipped with the UI.
    publicDir: resolve(root, 'resources/public'),
    plugins: [vue()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
