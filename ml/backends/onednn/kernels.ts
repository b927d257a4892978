/**
 * The `onednn` backend: tfjs's wasm backend with the work of a training step moved to Loupe's
 * native addon — convolutions and matrix products on oneDNN (conv-kernels.ts), bias gradients,
 * max-pooling gradients, concatenation and splitting as multi-threaded loops (memory-kernels.ts),
 * element-wise adds, products, ReLU and its derivative (elementwise-kernels.ts)
 * — all on every core and directly on the wasm heap (nothing is copied). Every other op stays on
 * wasm with Loupe's kernels, so no op falls back through a copy.
 */
import type { OneDnnAddon } from './addon';
import { CONV_KERNELS } from './conv-kernels';
import { ELEMENTWISE_KERNELS } from './elementwise-kernels';
import { MEMORY_KERNELS } from './memory-kernels';
import { registerNativeKernels } from './native-kernel';

export { setNativeKernels } from './native-kernel';

const ONEDNN_KERNELS = [...CONV_KERNELS, ...MEMORY_KERNELS, ...ELEMENTWISE_KERNELS];

/** The kernels the addon runs, by tfjs kernel name (for `loupe engine info` and the tests). */
export const ONEDNN_KERNEL_NAMES: readonly string[] = ONEDNN_KERNELS.map((k) => k.kernelName);

/** Registers the native kernels over the wasm backend's (after Loupe's wasm kernels). Idempotent. */
export function registerOneDnnKernels(native: OneDnnAddon): void {
  registerNativeKernels(native, ONEDNN_KERNELS);
}
