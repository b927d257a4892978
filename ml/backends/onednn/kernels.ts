/**
 * The `onednn` backend's kernels: every op of the reference models' training steps on Loupe's
 * native addon — convolutions and matrix products on oneDNN
 * (conv-kernels.ts); bias gradients, max-pooling gradients, concatenation and splitting
 * (memory-kernels.ts); element-wise maps, broadcasting binary ops, casts and fills
 * (elementwise-kernels.ts); reductions, tiling, packing, one-hot, max pooling and nearest
 * upsampling (layer-kernels.ts); batch normalisation and Adam's fused in-place update
 * (optimizer-kernels.ts), batch norm's training pass and its gradient (norm-kernels.ts) — on every core and directly on the tensors' memory (native-backend.ts;
 * nothing is copied). An op or a case the addon is not given runs on the wasm backend with a copy
 * (wasm-fallback.ts); coverage.ts counts those fallbacks.
 */
import * as tf from '@tensorflow/tfjs';
import type { OneDnnAddon } from './addon';
import { CONV_KERNELS } from './conv-kernels';
import { ACTIVATION_GRADIENT_KERNELS, ELEMENTWISE_KERNELS } from './elementwise-kernels';
import { LAYER_KERNELS } from './layer-kernels';
import { MEMORY_KERNELS } from './memory-kernels';
import { ONEDNN_TFJS_NAME } from './native-backend';
import { registerNativeKernels, setNativeKernels as routeNativeKernels, nativeKernelsOn } from './native-kernel';
import { BATCH_NORM_TRAINING_KERNELS } from './norm-kernels';
import { FUSED_ADAM_KERNEL, NORMALISATION_KERNELS } from './optimizer-kernels';

const ONEDNN_KERNELS = [
  ...CONV_KERNELS,
  ...MEMORY_KERNELS,
  ...ELEMENTWISE_KERNELS,
  ...LAYER_KERNELS,
  ...NORMALISATION_KERNELS,
];

/** The kernels the addon runs, by tfjs kernel name (for `loupe engine info` and the tests). */
export const ONEDNN_KERNEL_NAMES: readonly string[] = [
  ...ONEDNN_KERNELS.map((k) => k.kernelName),
  FUSED_ADAM_KERNEL.kernelName,
  ...BATCH_NORM_TRAINING_KERNELS.map((k) => k.kernelName),
  ...ACTIVATION_GRADIENT_KERNELS.map((k) => k.kernelName),
];

/** Kernels with no wasm kernel to stand in for: registered only while the addon is on. */
const NATIVE_ONLY: readonly tf.KernelConfig[] = [
  FUSED_ADAM_KERNEL,
  ...BATCH_NORM_TRAINING_KERNELS,
  ...ACTIVATION_GRADIENT_KERNELS,
];

/** Registers the `onednn` backend's kernels (after Loupe's wasm kernels, which the fallbacks run). Idempotent. */
export function registerOneDnnKernels(native: OneDnnAddon): void {
  registerNativeKernels(native, ONEDNN_KERNELS);
}

/**
 * Routes the kernels to the addon (true) or to the wasm kernels they stand in for (false). The
 * fused Adam update, batch norm's training kernels and the ReLU and ReLU6 gradients have no wasm kernel: they are registered
 * only while the addon is on, and the optimiser and the layer take their tensor-op paths otherwise.
 */
export function setNativeKernels(on: boolean): void {
  routeNativeKernels(on);
  for (const kernel of NATIVE_ONLY) {
    const registered = tf.getKernel(kernel.kernelName, ONEDNN_TFJS_NAME) !== undefined;
    if (nativeKernelsOn() && !registered) tf.registerKernel(kernel);
    if (!nativeKernelsOn() && registered) tf.unregisterKernel(kernel.kernelName, ONEDNN_TFJS_NAME);
  }
}
