/**
 * The layers of Loupe and the packages each may use: the one table that the lint rules
 * `local/layering` and `local/engine-packages` read (see ARCHITECTURE.md).
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Which of our layers each layer may import (a layer may always import itself). */
export const ALLOWED = {
  contract: [],
  base: ['contract'],
  renderer: ['contract'],
  preload: ['contract'],
  main: ['contract', 'base', 'ml'],
  ml: ['contract', 'base'],
  // Tests and benchmarks sit above everything they measure.
  tests: ['contract', 'base', 'main', 'ml', 'renderer', 'preload'],
  bench: ['contract', 'base', 'main', 'ml', 'tests'],
  scripts: [],
  bin: [],
  'eslint-rules': [],
};

/**
 * Where each third-party package may be imported. A package missing here is an error: adding a
 * dependency means saying which process it belongs to. `test` means test files and tests/, bench/.
 */
export const PACKAGE_LAYERS = {
  zod: ['contract', 'base', 'main', 'ml', 'renderer', 'preload', 'tests', 'bench'],
  // Electron is narrowed further to the Electron host by the rule itself.
  electron: ['main', 'preload'],
  'better-sqlite3': ['main', 'tests'],
  commander: ['main'],
  ws: ['main', 'tests'],
  'fast-xml-parser': ['main'],
  sharp: ['main', 'ml', 'tests', 'bench'],
  'fast-png': ['main', 'ml', 'tests'],
  '@tensorflow/tfjs': ['ml', 'tests', 'bench'],
  '@tensorflow/tfjs-backend-wasm': ['ml', 'bench'],
  '@tensorflow/tfjs-backend-webgpu': ['ml'],
  '@tensorflow/tfjs-node': ['ml'],
  '@tensorflow/tfjs-node-gpu': ['ml'],
  webgpu: ['ml'],
  'onnxruntime-node': ['ml', 'tests', 'bench'],
  // The TFLite export's flatbuffer writer (ml/export/tflite).
  flatbuffers: ['ml', 'tests'],
  protobufjs: ['ml'],
  'dicom-parser': ['ml'],
  'jpeg-lossless-decoder-js': ['ml'],
  '@cornerstonejs/codec-charls': ['ml'],
  '@cornerstonejs/codec-libjpeg-turbo-8bit': ['ml'],
  '@cornerstonejs/codec-openjpeg': ['ml'],
  vue: ['renderer'],
  'vue-router': ['renderer'],
  pinia: ['renderer'],
  echarts: ['renderer'],
  // Test tools: only in test files (beside the code or under tests/) and benchmarks.
  vitest: ['test'],
  'playwright-core': ['test'],
  'fast-check': ['test'],
  '@pinia/testing': ['test'],
  '@vue/test-utils': ['test'],
  'opencv-wasm': ['test'],
  rolldown: ['bench'],
  eslint: ['eslint-rules'],
  'typescript-eslint': ['eslint-rules'],
  typescript: ['eslint-rules'],
};

/** Packages whose code belongs in the engine worker: main and preload must not pull them in. */
export const ENGINE_PACKAGES = ['@tensorflow/', 'onnxruntime-node', 'webgpu'];

/** Layers whose code runs in a browser page or must stay platform-free. */
export const NO_NODE_BUILTINS = new Set(['contract', 'renderer']);

const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

export function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
}

export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function layerOf(root, file) {
  const relative = path.relative(root, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const top = relative.split(path.sep)[0];
  return Object.hasOwn(ALLOWED, top) ? top : null;
}

export function isTestFile(root, file) {
  const layer = layerOf(root, file);
  // `x-test-support.ts` holds helpers shared by the tests beside it.
  return layer === 'tests' || layer === 'bench' || /(\.test|-test-support)\.[cm]?[jt]s$/.test(file);
}

export function isElectronHostFile(root, file) {
  const relative = path.relative(root, file).split(path.sep).join('/');
  return relative.startsWith('main/hosts/electron/') || relative.startsWith('preload/');
}

export function packageAllowed(name, layer, isTest) {
  const allowed = PACKAGE_LAYERS[name];
  if (!allowed) return null;
  return allowed.includes(layer) || (isTest && allowed.includes('test'));
}
