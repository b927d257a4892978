/**
 * What scoring runs batches through: a Loupe layers model, or another runtime's session (an
 * exported ONNX file) behind the same shape, so that one set of metric code scores both.
 */
import type * as tf from '@tensorflow/tfjs';
import { outputOfBatch } from '../model-io/inference-model';

/** A model that is not a tfjs layers model: it runs a batch asynchronously. */
export interface BatchRunner {
  /** NHWC shapes as a layers model reports them (batch null), so geometry such as a detector's stride reads the same. */
  inputs: readonly { shape: readonly (number | null)[] }[];
  outputs: readonly { shape: readonly (number | null)[] }[];
  /** The model's output for a batch of preprocessed inputs [B, H, W, C], channels last; the caller disposes it. */
  runBatch(x: tf.Tensor4D): Promise<tf.Tensor>;
}

export type ScoredModel = tf.LayersModel | BatchRunner;

/** The output of `model` for `x`; the caller disposes it. */
export async function outputOf(model: ScoredModel, x: tf.Tensor4D): Promise<tf.Tensor> {
  if ('runBatch' in model) return model.runBatch(x);
  return outputOfBatch(model, x) as tf.Tensor;
}
