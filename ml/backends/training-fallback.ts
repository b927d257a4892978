/**
 * Training needs gradient kernels the inference backend may lack: stock tfjs wasm has no
 * Conv2DBackpropFilter and no depthwise gradients. Until the project's own kernels register them
 * (ml/backends/wasm-kernels), a run on such a backend trains on tfjs's `cpu` backend instead, says so in its
 * record, and hands the engine back to the fast backend afterwards.
 */
import * as tf from '@tensorflow/tfjs';
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

const FALLBACK_BACKEND = 'cpu';

export function missingGradientKernels(model: tf.LayersModel, backend = tf.getBackend()): string[] {
  const needed = new Set(model.layers.flatMap((layer) => GRADIENT_KERNELS[layer.getClassName()] ?? []));
  return [...needed].filter((kernel) => !tf.getKernel(kernel, backend));
}

export interface TrainingBackend {
  backend: string;
  /** Set when training does not run on the engine's backend, saying why. */
  note?: string;
  /** Returns the engine to the backend it had before training. */
  restore(): Promise<void>;
}

export async function selectTrainingBackend(model: tf.LayersModel): Promise<TrainingBackend> {
  const previous = tf.getBackend();
  const missing = missingGradientKernels(model, previous);
  // Recorded by the engine's name (`onednn` runs on tfjs's wasm backend with native kernels).
  if (missing.length === 0) return { backend: activeBackend()?.backend ?? previous, restore: async () => {} };
  // Tensors made on the previous backend (the model's weights) move over when first used.
  await tf.setBackend(FALLBACK_BACKEND);
  return {
    backend: FALLBACK_BACKEND,
    note: `The ${previous} backend lacks ${missing.join(', ')}; this run trained on ${FALLBACK_BACKEND}.`,
    restore: async () => {
      await tf.setBackend(previous);
    },
  };
}
