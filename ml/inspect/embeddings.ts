/**
 * A model's penultimate-layer embedding: the input of its last layer — for a classifier the
 * global-average-pooled features its dense head reads, for a U-Net the feature map its 1 × 1
 * logits convolution reads, averaged over the image. Images the model sees alike lie close, which
 * is what "Label next" spreads its picks over.
 */
import * as tf from '@tensorflow/tfjs';
import { outputOfBatch } from '../model-io/inference-model';
import { LoupeError } from '../../contract/index';
import { nodeOf } from '../explain/layer-split';

/**
 * The model with a second output, its last layer's input. It shares the model's layers and
 * weights: never dispose it (that would dispose the model's weights); drop it with the model.
 */
export function withPenultimate(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length !== 1)
    throw new LoupeError('INVALID_REQUEST', 'Embeddings are taken from a model with a single output.');
  const last = model.layers.at(-1)!;
  const inputs = nodeOf(last).inputTensors;
  if (inputs.length !== 1)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The last layer ${last.name} joins several inputs; it has no one embedding.`,
    );
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, inputs[0]!] });
}

/**
 * Runs `twoOutputs` (from `withPenultimate`) on a batch: the model's output and one embedding row
 * per image (a feature map is averaged over its rows and columns). Both tensors are the caller's.
 */
export function outputAndEmbedding(twoOutputs: tf.LayersModel, images: tf.Tensor4D): [tf.Tensor, tf.Tensor2D] {
  return tf.tidy(() => {
    const [output, features] = outputOfBatch(twoOutputs, images) as tf.Tensor[];
    const embedding = features!.rank === 4 ? features!.mean([1, 2]) : features!;
    return [output!, embedding as tf.Tensor2D];
  });
}
