/**
 * What Loupe's own wasm kernels share: calling tfjs-backend-wasm's stock kernels (XNNPACK
 * convolutions, transposes, slices) on intermediate buffers, and freeing those buffers.
 *
 * Kernels receive and return `TensorInfo`s, not Tensors: they run inside tfjs's `runKernel`,
 * below the engine's bookkeeping, so every intermediate they make must be disposed here by hand
 * (`release`), exactly as tfjs's own composite kernels do.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type Shape4 = [number, number, number, number];
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** The stock kernels, captured before Loupe overrides any of them. */
const stock = new Map<string, tf.KernelFunc>();

/** Remembers tfjs-backend-wasm's own implementation of `kernelName` (call before overriding). */
export function captureStockKernel(kernelName: string): void {
  if (stock.has(kernelName)) return;
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel; Loupe's kernels need it.`);
  stock.set(kernelName, config.kernelFunc);
}

/** Runs the stock wasm kernel `kernelName`; the caller owns (and must release) the result. */
export function runStock(backend: BackendWasm, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: object): Info {
  const kernelFunc = stock.get(kernelName);
  if (!kernelFunc) throw new Error(`Stock wasm kernel ${kernelName} was not captured.`);
  return kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

/** Frees intermediate buffers made by `runStock` or `backend.makeOutput`. */
export function release(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function conv2d(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  args: { strides: [number, number]; dilations: [number, number]; pad: ExplicitPadding | 'valid' },
): Info {
  return runStock(backend, 'Conv2D', { x, filter }, { ...args, dataFormat: 'NHWC', dimRoundingMode: undefined });
}

export function depthwiseConv2d(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  args: { strides: [number, number]; dilations: [number, number]; pad: ExplicitPadding | 'valid' },
): Info {
  return runStock(
    backend,
    'DepthwiseConv2dNative',
    { x, filter },
    { ...args, dataFormat: 'NHWC', dimRoundingMode: undefined },
  );
}

export function slice(backend: BackendWasm, x: Info, begin: number[], size: number[]): Info {
  return runStock(backend, 'Slice', { x }, { begin, size });
}

export function sum(backend: BackendWasm, x: Info, axis: number[]): Info {
  return runStock(backend, 'Sum', { x }, { axis, keepDims: false });
}

/** A new view of `info` with another shape over the same buffer (no copy, shares the refcount). */
export function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return runStock(backend, 'Reshape', { x }, { shape });
}

/** Float32 view of a tensor's bytes in wasm memory. Take it after the last allocation of a step:
 *  growing the wasm heap detaches earlier views. */
export function heapView(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function requireNhwc(kernelName: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`Loupe's wasm ${kernelName} supports channels-last (NHWC) data only, got ${dataFormat}.`);
  }
}
