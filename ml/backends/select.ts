/**
 * Backend choice. The engine is written against tfjs APIs; this picks the fastest backend that
 * loads here: a hardware GPU through WebGPU (Dawn; ml/backends/webgpu), native TensorFlow (GPU,
 * then CPU) when the optional tfjs-node packages installed their libtensorflow, else oneDNN
 * (tensors in native memory, the ops of training on Loupe's oneDNN addon on every core, the rest
 * on wasm) where the addon was built, else WebAssembly (XNNPACK, SIMD), else tfjs's plain
 * JavaScript `cpu`.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { registerLeanGradients } from './lean-gradients';
import { registerCpuKernelFixes } from './cpu-kernels';
import { registerLoupeWasmKernels } from './wasm-kernels/index';
import { loadOneDnn, ONEDNN_HINT } from './onednn/addon';
import { chooseAdapter } from './webgpu/adapters';
import { registerWebGpuFilterGradients } from './webgpu/filter-gradients';
import { registerWebGpuBatchNorm } from './webgpu/batch-norm';
import { registerWebGpuCast } from './webgpu/cast';
import { watchDeviceFaults } from './webgpu/faults';
import { installRecording } from './webgpu/recording';
import { registerWebGpuFusedAdam } from './webgpu/fused-adam';
import { registerWebGpuReluGradients } from './webgpu/relu-gradients';
import { registerWebGpuReluBiasGradient } from './webgpu/relu-bias-gradient';
import { registerOneDnnKernels, setNativeKernels } from './onednn/kernels';
import { ONEDNN_TFJS_NAME, OneDnnBackend } from './onednn/native-backend';
import { WASM_HEAP_GIB } from '../worker/heap-failure';
import { BACKEND_NAMES, LoupeError, type BackendName, type EngineInfo } from '../../contract/index';

/** Environment variable that forces one backend (`tensorflow-gpu`, `tensorflow`, `wasm`, `cpu`). */
export const BACKEND_ENV = 'LOUPE_BACKEND';

const requireFromHere = createRequire(import.meta.url);

interface BackendLoader {
  /** Makes the backend available to tfjs; throws when it cannot load here. `forced`: LOUPE_BACKEND asked for it. */
  load(forced: boolean): Promise<void>;
  /** The name tfjs registers it under. */
  tfjsName: string;
  /** Once active: throws when the backend runs but is not what its name promises. */
  verify?(): void;
}

// Package names in variables: they are optional, so the bundler must not try to resolve them.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';

/** The GPU the webgpu backend chose, for the engine's report. */
let gpuDevice: EngineInfo['device'];

const LOADERS: Record<BackendName, BackendLoader> = {
  webgpu: {
    tfjsName: 'webgpu',
    load: async (forced) => {
      // A software rasteriser is no GPU: only a forced start (CI's correctness tests) takes one.
      const { adapter, gpu } = await chooseAdapter(forced);
      const host = globalThis as { navigator?: object };
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...(host.navigator ?? {}), gpu },
        configurable: true,
        writable: true,
      });
      await import('@tensorflow/tfjs-backend-webgpu');
      // tfjs's filter gradients run one thread per weight: Loupe's split the sum (filter-gradients.ts).
      registerWebGpuFilterGradients();
      registerWebGpuFusedAdam();
      registerWebGpuReluGradients();
      registerWebGpuReluBiasGradient();
      registerWebGpuBatchNorm();
      // tfjs relabels an int32 buffer as float32, which its transpose cannot compile (webgpu/cast.ts).
      registerWebGpuCast();
      gpuDevice = adapter;
    },
    verify: () => {
      const webgpu = tf.backend() as unknown as WebGPUBackend & { device: GPUDevice };
      // GPU errors arrive as events: without a listener a failed step goes on with zeros (webgpu/faults.ts).
      watchDeviceFaults(webgpu.device);
      // Less JavaScript per recorded program (webgpu/recording.ts).
      installRecording(webgpu);
    },
  },
  'tensorflow-gpu': {
    tfjsName: 'tensorflow',
    load: async () => void (await import(/* @vite-ignore */ TFJS_NODE_GPU)),
    // libtensorflow with CUDA runs on the CPU when it finds no GPU: that is not the GPU route.
    verify: () => {
      if (!(tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice)
        throw new Error('tfjs-node-gpu loaded but found no CUDA GPU');
    },
  },
  tensorflow: { tfjsName: 'tensorflow', load: async () => void (await import(/* @vite-ignore */ TFJS_NODE)) },
  onednn: {
    tfjsName: ONEDNN_TFJS_NAME,
    load: async () => {
      const { addon, reason } = loadOneDnn();
      if (!addon) throw new Error(`${reason}; for native speed: ${ONEDNN_HINT}`);
      // Ops the addon lacks run on wasm (onednn/wasm-fallback.ts): it starts first, idle.
      await loadWasm();
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start the wasm backend');
      if (!tf.findBackend(ONEDNN_TFJS_NAME)) tf.registerBackend(ONEDNN_TFJS_NAME, () => new OneDnnBackend());
      registerOneDnnKernels(addon);
      setNativeKernels(true);
    },
  },
  wasm: {
    tfjsName: 'wasm',
    load: loadWasm,
  },
  cpu: { tfjsName: 'cpu', load: async () => {} },
};

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Read the .wasm binaries from node_modules: the engine never fetches code from the network.
  const wasmFile = requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
  // Stock wasm cannot train (no convolution filter gradients); Loupe's kernels make it.
  registerLoupeWasmKernels();
}

export function parseBackendName(value: string | undefined): BackendName | null {
  if (!value) return null;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new LoupeError(
    'ENGINE_UNAVAILABLE',
    `${BACKEND_ENV}=${value} is not a backend Loupe knows (${BACKEND_NAMES.join(', ')}).`,
  );
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot find (module|package)/i.test(message)) return 'not installed';
  return message.split('\n')[0]!.slice(0, 200);
}

let active: EngineInfo | null = null;
let starting: Promise<EngineInfo> | null = null;

/**
 * Initialises tfjs once per worker; later calls return the same answer. Concurrent calls share
 * one start: switching backends under a running computation would orphan its tensors.
 */
export function initBackend(forced: BackendName | null): Promise<EngineInfo> {
  if (active && (!forced || forced === active.backend)) return Promise.resolve(active);
  starting ??= startBackend(forced).finally(() => (starting = null));
  return starting;
}

async function startBackend(forced: BackendName | null): Promise<EngineInfo> {
  // The cpu backend is the last fallback and the oracle of the WebGPU checks: fix it whichever backend starts.
  registerCpuKernelFixes();
  registerLeanGradients();
  const order = forced ? [forced] : BACKEND_NAMES;
  const attempts: EngineInfo['attempts'] = [];
  for (const backend of order) {
    const loader = LOADERS[backend];
    try {
      await loader.load(forced === backend);
      if (!(await tf.setBackend(loader.tfjsName)))
        throw new Error(`tfjs could not start the ${loader.tfjsName} backend`);
      await tf.ready();
      loader.verify?.();
      // Production mode: no debug checks, and no banner advertising tfjs-node on every start.
      tf.enableProdMode();
      attempts.push({ backend, ok: true, ...(forced ? { reason: `forced by ${BACKEND_ENV}` } : {}) });
      active = {
        backend,
        tfjsBackend: tf.getBackend(),
        versions: { tfjs: tf.version.tfjs, node: process.versions.node },
        features: featuresOf(backend),
        attempts,
        ...tensorMemoryOf(backend),
        ...(backend === 'webgpu' && gpuDevice ? { device: gpuDevice } : {}),
      };
      return active;
    } catch (error) {
      attempts.push({ backend, ok: false, reason: reasonOf(error) });
    }
  }
  const tried = attempts.map((a) => `${a.backend}: ${a.reason ?? 'failed'}`).join('; ');
  throw new LoupeError('ENGINE_UNAVAILABLE', `No engine backend could start (${tried}).`);
}

function featuresOf(backend: BackendName): EngineInfo['features'] {
  const cores = Math.max(1, os.availableParallelism());
  if (backend === 'webgpu') return { simd: false, threads: 1, cores };
  if (backend === 'onednn') {
    return { simd: true, threads: loadOneDnn().addon!.info().threads, cores };
  }
  if (backend === 'wasm') {
    return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: 1, cores };
  }
  return { simd: false, threads: backend === 'cpu' ? 1 : cores, cores };
}

function tensorMemoryOf(backend: BackendName): Pick<EngineInfo, 'tensorMemoryBytes'> {
  // The limit the running backend read as it started, not the environment's value now.
  if (backend === 'onednn') return { tensorMemoryBytes: (tf.backend() as OneDnnBackend).memory().limitBytes };
  if (backend === 'wasm') return { tensorMemoryBytes: WASM_HEAP_GIB * 2 ** 30 };
  return {};
}

export function activeBackend(): EngineInfo | null {
  return active;
}

/**
 * What the active backend computes on, in words for a run's record: the GPU adapter the webgpu
 * backend chose, else this machine's CPU model and its cores (the threads a run used are recorded
 * beside it).
 */
export function computeDevice(): string {
  if (active?.device) return `${active.device.name}${active.device.software ? ' (software)' : ''}`;
  const cpu = os.cpus()[0]?.model.trim() || 'CPU';
  const cores = os.availableParallelism();
  return `${cpu} (${cores} core${cores === 1 ? '' : 's'})`;
}
