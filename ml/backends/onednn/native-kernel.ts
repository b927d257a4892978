/**
 * What the `onednn` backend's kernels share: the loaded addon, the switch between native kernels
 * and the wasm kernels they stand in for, and registration on the backend (native-backend.ts).
 *
 * Every kernel the wasm backend has is registered on `onednn`: the addon's where Loupe has one,
 * the wasm kernel with a copy each way otherwise (wasm-fallback.ts). A native kernel hands over
 * to its wasm kernel while the native kernels are off (`setNativeKernels(false)`, so one process
 * can compare both) and for a case it is not given (it returns null): an activation other than
 * ReLU fused into a product, another dtype, NCHW data.
 */
import * as tf from '@tensorflow/tfjs';
import type { Info } from '../wasm-kernels/wasm-calls';
import type { OneDnnAddon } from './addon';
import { ONEDNN_TFJS_NAME, type OneDnnBackend } from './native-backend';
import { onWasm } from './wasm-fallback';

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

/** A kernel of the `onednn` backend that runs `native` when it gives a result, else its wasm kernel with a copy. */
export function nativeKernel(
  kernelName: string,
  native: (args: KernelArgs, backend: OneDnnBackend) => NativeResult,
): NativeKernel {
  const config: NativeKernel = {
    kernelName,
    backendName: ONEDNN_TFJS_NAME,
    kernelFunc: (args) => {
      const result = enabled ? native(args as KernelArgs, args.backend as unknown as OneDnnBackend) : null;
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

let registered = false;

/**
 * Registers every wasm kernel on the `onednn` backend: `kernels` where the addon has them, the
 * wasm kernel with a copy otherwise. Call after Loupe's wasm kernels are registered (those are
 * what the fallbacks run). Idempotent.
 */
export function registerNativeKernels(native: OneDnnAddon, kernels: readonly NativeKernel[]): void {
  loaded = native;
  if (registered) return;
  const byName = new Map(kernels.map((k) => [k.kernelName, k]));
  for (const wasmKernel of tf.getKernelsForBackend('wasm')) {
    const { kernelName } = wasmKernel;
    const fallback = onWasm((args) => tf.getKernel(kernelName, 'wasm')!.kernelFunc(args));
    const config = byName.get(kernelName);
    if (config) config.replaced = fallback;
    tf.registerKernel(config ?? { kernelName, backendName: ONEDNN_TFJS_NAME, kernelFunc: fallback });
  }
  for (const config of kernels) {
    if (!config.replaced)
      throw new Error(`The wasm backend has no ${config.kernelName} kernel for oneDNN to stand in for.`);
  }
  registered = true;
}
