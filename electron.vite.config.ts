import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * CommonJS packages the Node processes load with require() rather than import: Node's import of
 * a CommonJS package first scans its source, and that of every package it re-exports, for export
 * names. For tfjs (core, layers, converter, data and two backends re-exported) that scan took
 * about 250 ms of each engine start, three times the require() itself.
 */
const REQUIRED_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'onnxruntime-node',
];

function requireCommonJs(): Plugin {
  const names = REQUIRED_PACKAGES.map((name) => name.replace(/[/.-]/g, '\\$&')).join('|');
  const staticImport = new RegExp(`^import \\* as (\\w+) from "(${names})";$`, 'gm');
  const dynamicImport = new RegExp(`\\bimport\\("(${names})"\\)`, 'g');
  return {
    name: 'loupe-require-commonjs',
    renderChunk(code: string) {
      const rewritten = code
        .replace(staticImport, (_, binding: string, name: string) => `const ${binding} = __loupeRequire("${name}");`)
        .replace(dynamicImport, (_, name: string) => `Promise.resolve().then(() => __loupeRequire("${name}"))`);
      if (rewritten === code) return null;
      const preamble =
        'import { createRequire as __loupeCreateRequire } from "node:module";\n' +
        'const __loupeRequire = __loupeCreateRequire(import.meta.url);\n';
      return { code: preamble + rewritten, map: null };
    },
  };
}

export default defineConfig({
  main: {
    plugins: [requireCommonJs()],
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
