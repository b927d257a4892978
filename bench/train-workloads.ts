/**
 * What bench:train trains and infers on: the reference CNN and U-Net (bench/reference-models.ts)
 * and Loupe's default classifier, each with a batch of random inputs and targets.
 */
import * as tf from '@tensorflow/tfjs';
import { lossConfigSchema } from '../contract/index';
import { buildModel } from '../ml/models/index';
import { ENGINE_LOSS, type LossSpec } from '../ml/parallel/loss-registry';
import { referenceCnn, referenceUNet } from './reference-models';

export interface Workload {
  model: tf.LayersModel;
  loss: LossSpec;
  xs: tf.Tensor;
  ys: tf.Tensor;
}

export function cnnWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1),
    tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat(),
  ]);
  return { model: referenceCnn(), loss: { name: 'categoricalCrossentropy' }, xs: xs!, ys: ys! };
}

/**
 * Loupe's default classifier as the Train section builds it (ml/models: the small CNN, a batch
 * norm after each convolution, global average pooling), on 64² grey images, with the engine's
 * cross-entropy on logits (class indices as labels, as the engine's datasets give them).
 */
export function bnCnnWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 64, 64, 1], 0, 1, 'float32', 5),
    tf.randomUniform([batch], 0, 2, 'int32', 6).toFloat(),
  ]);
  const model = buildModel(
    { architecture: 'small-cnn' },
    { task: 'classification', inputShape: [64, 64, 1], numClasses: 2, seed: 0 },
  );
  const loss = lossConfigSchema.parse({ name: 'cross-entropy' });
  const target = { task: 'classification', numClasses: 2, outputChannels: 2 };
  return { model, loss: { name: ENGINE_LOSS, config: { loss, target } }, xs: xs!, ys: ys! };
}

export function unetWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 128, 128, 1], 0, 1, 'float32', 3),
    tf.randomUniform([batch, 128, 128, 1], 0, 1, 'float32', 4).round(),
  ]);
  return { model: referenceUNet(), loss: { name: 'binaryCrossentropy' }, xs: xs!, ys: ys! };
}

export function dispose(w: Workload): void {
  tf.dispose([w.xs, w.ys]);
  w.model.dispose();
}
