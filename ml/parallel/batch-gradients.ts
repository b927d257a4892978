/**
 * One forward and backward pass over a batch: the loss and the gradient of every trainable
 * weight, in `model.trainableWeights` order. Both training threads run exactly this, so the
 * halves of a split batch are computed the same way a whole batch is.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossFunction } from './loss-registry';

export interface BatchGradients {
  loss: tf.Scalar;
  /** Aligned with model.trainableWeights; a weight the loss does not reach gets zeros. */
  grads: tf.Tensor[];
}

export function batchGradients(model: tf.LayersModel, loss: LossFunction, xs: tf.Tensor, ys: tf.Tensor): BatchGradients {
  const [value, ...grads] = tf.tidy(() => {
    const result = tf.variableGrads(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor));
    return [result.value, ...model.trainableWeights.map((w) => result.grads[w.name] ?? tf.zeros(w.shape as number[]))];
  });
  return { loss: value as tf.Scalar, grads };
}
