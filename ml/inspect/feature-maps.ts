/**
 * What a model computes inside: one layer's activations on one preprocessed input, channel by
 * channel, and the kernels of its first convolution — the ones that look at the pixels directly,
 * so they can be drawn as small images.
 */
import * as tf from '@tensorflow/tfjs';
import type { FirstFilters } from '../../contract/index';
import { splitAt } from '../explain/layer-split';

export interface LayerActivations {
  /** Channels returned (the first ones) and the layer's count. */
  count: number;
  total: number;
  rows: number;
  columns: number;
  /** `count × rows × columns`, channel-major. */
  values: Float32Array<ArrayBuffer>;
}

/**
 * The activations of `layer` (one of `featureMapLayers`) for `input` ([1, H, W, C]), first
 * `maxChannels` channels. The layer's output is reached through `splitAt`, the same walk the CAM
 * methods take, so what is shown is what they weight.
 */
export async function layerActivations(
  model: tf.LayersModel,
  input: tf.Tensor4D,
  layer: string,
  maxChannels: number,
): Promise<LayerActivations> {
  const split = splitAt(model, layer);
  const [channelsFirst, total, rows, columns] = tf.tidy(() => {
    const map = split.features(input).featureMap;
    const [, r, c, channels] = map.shape;
    const kept = map.slice([0, 0, 0, 0], [1, r, c, Math.min(channels, maxChannels)]);
    return [kept.squeeze([0]).transpose([2, 0, 1]), channels, r, c] as const;
  });
  const values = (await channelsFirst.data()) as Float32Array<ArrayBuffer>;
  const count = channelsFirst.shape[0]!;
  channelsFirst.dispose();
  return { count, total, rows, columns, values };
}

/** The first plain 2-D convolution in graph order, or null (a model without one). */
function firstConvolution(model: tf.LayersModel): tf.layers.Layer | null {
  return model.layers.find((l) => l.getClassName() === 'Conv2D') ?? null;
}

/** The first convolution's kernels, `[filter][input channel][row][column]`, the first `maxFilters`. */
export async function firstFilters(model: tf.LayersModel, maxFilters: number): Promise<FirstFilters | null> {
  const conv = firstConvolution(model);
  if (!conv) return null;
  const kernel = conv.getWeights()[0]!;
  const [kernelRows, kernelColumns, inputChannels, total] = kernel.shape as [number, number, number, number];
  const count = Math.min(total, maxFilters);
  const ordered = tf.tidy(() =>
    kernel.slice([0, 0, 0, 0], [kernelRows, kernelColumns, inputChannels, count]).transpose([3, 2, 0, 1]),
  );
  // Read asynchronously: WebGPU in Node has no synchronous read (it needs an OffscreenCanvas).
  const weights = (await ordered.data()) as Float32Array<ArrayBuffer>;
  ordered.dispose();
  return { layer: conv.name, count, total, inputChannels, kernelRows, kernelColumns, weights };
}
