/**
 * Training needs gradient kernels an inference backend may lack: stock tfjs wasm has no
 * Conv2DBackpropFilter and no depthwise gradients. Loupe registers its own (ml/backends/wasm-kernels),
 * and every backend it selects has them all; this check turns a missing one into a clear error
 * at the start of a run instead of tfjs's "kernel not registered" in the middle of an epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/errors';
import { activeBackend } from './select';

/** Gradient kernels each layer class needs beyond element-wise ops. */
const GRADIENT_KERNELS: Record<string, readonly string[]> = {
  Conv2D: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  Conv2DTranspose: ['Conv2DBackpropFilter', 'Conv2D'],
  DepthwiseConv2D: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
  SeparableConv2D: [
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
  ],
  MaxPooling2D: ['MaxPoolGrad'],
  AveragePooling2D: ['AvgPoolGrad'],
  UpSampling2D: ['ResizeNearestNeighborGrad'],
};

export function missingGradientKernels(model: tf.LayersModel, backend = tf.getBackend()): string[] {
  const needed = new Set(model.layers.flatMap((layer) => GRADIENT_KERNELS[layer.getClassName()] ?? []));
  return [...needed].filter((kernel) => !tf.getKernel(kernel, backend));
}

/** The engine backend a run trains on, by the engine's name (`onednn` runs on tfjs's wasm backend). */
export function trainingBackendFor(model: tf.LayersModel): string {
  const backend = tf.getBackend();
  const missing = missingGradientKernels(model, backend);
  if (missing.length > 0)
    throw new LoupeError(
      'ENGINE_UNAVAILABLE',
      `The ${backend} backend lacks the gradient kernels ${missing.join(', ')}, so this model cannot train on it.`,
    );
  return activeBackend()?.backend ?? backend;
}
