#!/usr/bin/env node
/**
 * Runs a TypeScript benchmark: bundles it (and the gradient worker it may start) with rolldown,
 * which ships with Vite, into a temporary folder under .tmp/, then imports it. Packages stay external, so
 * tfjs and its .wasm binaries load from node_modules exactly as in the engine.
 *
 *   node bench/run.mjs bench/train.ts [args…]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(import.meta.dirname, '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bench/run.mjs <entry.ts> [args…]');
  process.exit(2);
}
// Inside the checkout (.tmp/, ignored) so that the bundle's bare imports resolve to this project's packages, and
// the app root and the test helpers' paths found from the bundle's own place are this checkout's, even where
// node_modules is a link to another checkout's (a git worktree).
/** `import text from './file?raw'` (Vite's raw imports, used by the ONNX exporter for its schema) as a string. */
const rawImports = {
  name: 'raw-imports',
  resolveId(source, importer) {
    if (source.endsWith('?raw') && importer) return path.resolve(path.dirname(importer), source);
    return null;
  },
  load(id) {
    if (!id.endsWith('?raw')) return null;
    return `export default ${JSON.stringify(readFileSync(id.slice(0, -'?raw'.length), 'utf8'))};`;
  },
};
const cacheDir = path.join(root, '.tmp');
mkdirSync(cacheDir, { recursive: true });
const outDir = mkdtempSync(path.join(cacheDir, 'loupe-bench-'));
try {
  await build({
    input: { main: path.resolve(entry), 'gradient-worker': path.join(root, 'ml/parallel/gradient-worker.ts') },
    platform: 'node',
    plugins: [rawImports],
    // Bare specifiers (packages, node: built-ins) load from node_modules at run time.
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
    logLevel: 'warn',
    output: { dir: outDir, format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
  });
  process.env.LOUPE_GRADIENT_WORKER = path.join(outDir, 'gradient-worker.mjs');
  process.argv = [process.argv[0], path.join(outDir, 'main.mjs'), ...args];
  await import(pathToFileURL(path.join(outDir, 'main.mjs')).href);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
