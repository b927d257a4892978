/**
 * What the `onednn` backend's kernels share: the loaded addon, the switch between native kernels
 * and the wasm kernels they replace, and registration over the wasm backend.
 *
 * The kernels replace the wasm ones while `onednn` is the active backend and hand over to the
 * kernel they replaced otherwise (`setNativeKernels(false)`), so one process can compare both.
 * A kernel hands over too for a case it is not given (returns null): an activation other than
 * ReLU fused into a product, another dtype, NCHW data.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info } from '../wasm-kernels/wasm-calls';
import type { OneDnnAddon } from './addon';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type NativeResult = Info | Info[] | null;
export type NativeKernel = tf.KernelConfig & { replaced?: tf.KernelFunc };

let loaded: OneDnnAddon | null = null;
let enabled = false;
/** While set, counts each kernel call's path by kernel name (coverage.ts). */
let tally: KernelTally | null = null;

/** Calls of Loupe's kernels by kernel name: run on the addon, or handed over to the wasm kernel they replaced. */
export interface KernelTally {
  native: Map<string, number>;
  /** Native results that share an input's buffer: a new shape or dtype label, no computation. */
  views: Map<string, number>;
  handedOver: Map<string, number>;
}

/** Starts counting (a fresh tally) or stops (null). */
export function countKernels(into: KernelTally | null): void {
  tally = into;
}

/** Counts a call of a kernel that runs only on the addon (no wasm kernel to hand over to). */
export function recordNative(kernelName: string): void {
  if (tally) bump(tally.native, kernelName);
}

/** True while the native kernels are on (the `onednn` backend is active). */
export function nativeKernelsOn(): boolean {
  return enabled;
}

function bump(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/** Routes the kernels below to the addon (true) or to the kernels they replaced (false). */
export function setNativeKernels(on: boolean): void {
  enabled = on && loaded !== null;
}

/** The addon; only called from a kernel's native path, which runs once it is loaded. */
export function addon(): OneDnnAddon {
  return loaded!;
}

/** A wasm kernel that runs `native` when it gives a result, else the kernel it replaced. */
export function nativeKernel(
  kernelName: string,
  native: (args: KernelArgs, backend: BackendWasm) => NativeResult,
): NativeKernel {
  const config: NativeKernel = {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const result = enabled ? native(args as KernelArgs, args.backend as BackendWasm) : null;
      if (tally)
        bump(result ? (isView(args.inputs, result) ? tally.views : tally.native) : tally.handedOver, kernelName);
      return result ?? config.replaced!(args);
    },
  };
  return config;
}

function isView(inputs: tf.NamedTensorInfoMap, result: Info | Info[]): boolean {
  const dataIds = new Set(Object.values(inputs).map((t) => t?.dataId));
  return !Array.isArray(result) && dataIds.has(result.dataId);
}

const registered = new Set<string>();

/**
 * Registers `kernels` over the wasm backend's (call after Loupe's wasm kernels are registered:
 * those are what they hand over to). Idempotent.
 */
export function registerNativeKernels(native: OneDnnAddon, kernels: readonly NativeKernel[]): void {
  loaded = native;
  for (const config of kernels) {
    if (registered.has(config.kernelName)) continue;
    const replaced = tf.getKernel(config.kernelName, 'wasm');
    if (!replaced) throw new Error(`The wasm backend has no ${config.kernelName} kernel for oneDNN to stand in for.`);
    config.replaced = replaced.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    // The stock kernel binds its wasm function in its setupFunc; the replaced kernel still needs it.
    tf.registerKernel(replaced.setupFunc ? { ...config, setupFunc: replaced.setupFunc } : config);
    registered.add(config.kernelName);
  }
}
