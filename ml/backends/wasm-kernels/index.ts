/**
 * Loupe's own wasm kernels: the gradients tfjs-backend-wasm lacks or runs slowly, composed from
 * its fast XNNPACK kernels. Registering them makes `wasm` a backend that trains at a useful speed
 * where libtensorflow (tfjs-node) cannot be installed.
 *
 * Found empirically (ml/backends/wasm-kernels/training-layers.test.ts builds every layer kind the models use
 * and trains it on wasm, and tf.profile ranked the rest by time):
 * - missing on wasm: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and ...Input
 *   (stock wasm fails on the first convolution's gradient);
 * - slow on wasm: Conv2DBackpropInput (plain C++ loop), BatchMatMul/_FusedMatMul with a
 *   transposed operand (naive loop: every dense layer's gradient), MaxPoolGrad, Sum/Mean over
 *   leading axes (bias gradients, batch-norm moments), Transpose, used inside these, and Tile
 *   (batch norms' mean gradients broadcast with it: ml/backends/lean-gradients.ts);
 * - wrong on wasm: batched _FusedMatMul with a bias (see batch-mat-mul.ts).
 * Not a backend matter: tfjs-core has no gradient for dilated conv2d/depthwise (it throws on
 * every backend), and tfjs's cpu ResizeNearestNeighborGrad is wrong for batches > 1 (wasm's is right).
 */
import * as tf from '@tensorflow/tfjs';
import { STOCK_KERNELS_FOR_MATMUL, batchMatMulConfig, fusedMatMulConfig } from './batch-mat-mul';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-conv2d-backprop';
import { maxPoolGradConfig } from './max-pool-grad';
import { meanConfig, sumConfig } from './reduce-leading-axes';
import { tileConfig } from './tile';
import { captureStockKernel } from './wasm-calls';

/** Stock wasm kernels the compositions call. */
const STOCK_KERNELS_USED = [
  'Conv2D',
  'DepthwiseConv2dNative',
  'Transpose',
  'Slice',
  'Sum',
  'Mean',
  'Reshape',
  'Tile',
  ...STOCK_KERNELS_FOR_MATMUL,
];

export const LOUPE_WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  maxPoolGradConfig,
  sumConfig,
  meanConfig,
  tileConfig,
];

let registered = false;

/**
 * Registers Loupe's kernels for tfjs's `wasm` backend, replacing stock ones where they exist.
 * Idempotent; call after `@tensorflow/tfjs-backend-wasm` is imported (its kernels must be there
 * to be captured).
 */
export function registerLoupeWasmKernels(): void {
  if (registered) return;
  for (const name of STOCK_KERNELS_USED) captureStockKernel(name);
  for (const config of LOUPE_WASM_KERNELS) {
    const replaced = tf.getKernel(config.kernelName, config.backendName);
    if (replaced) tf.unregisterKernel(config.kernelName, config.backendName);
    // The stock kernel binds its wasm function in its setupFunc, run when the backend starts;
    // keep it, since Loupe's version may still delegate to the stock one.
    tf.registerKernel(replaced?.setupFunc ? { ...config, setupFunc: replaced.setupFunc } : config);
  }
  registered = true;
}
