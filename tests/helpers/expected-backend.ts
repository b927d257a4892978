/**
 * The engine backend this machine should pick, in the engine's order (ml/backends/select.ts): a forced
 * LOUPE_BACKEND, else WebGPU where a GPU device exists (never on CI's machines), else native TensorFlow where its optional package installed (a normal
 * `npm install` with network access brings @tensorflow/tfjs-node), else oneDNN where its addon
 * was built at install (CI installs libdnnl-dev, so CI checks this path), else wasm.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadOneDnn } from '../../ml/backends/onednn/addon';
import { noGpuDeviceReason } from '../../ml/backends/webgpu/adapters';
import { REPO_ROOT } from './cli';

const NATIVE = [
  ['@tensorflow/tfjs-node-gpu', 'tensorflow-gpu'],
  ['@tensorflow/tfjs-node', 'tensorflow'],
] as const;

export const BACKEND_ORDER = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'onednn', 'wasm', 'cpu'] as const;

export function expectedBackend(): string {
  const forced = process.env.LOUPE_BACKEND;
  if (forced) return forced;
  if (!noGpuDeviceReason()) return 'webgpu';
  const require = createRequire(path.join(REPO_ROOT, 'package.json'));
  for (const [pkg, backend] of NATIVE) {
    try {
      require.resolve(pkg);
      return backend;
    } catch {
      // Not installed: the engine goes on to the next.
    }
  }
  return loadOneDnn().addon ? 'onednn' : 'wasm';
}
