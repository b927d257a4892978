/**
 * One forward and backward pass over a batch: the loss, the gradient of every trainable
 * weight, in `model.trainableWeights` order, and the model's outputs (for the running training
 * metric). Both training threads run exactly this, so the halves of a split batch are computed
 * the same way a whole batch is.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossFunction } from '../losses/registry';
import { applyForTraining } from '../models/batch-norm-relu';
import { releaseDuringBackward } from '../train/release-during-backward';

export interface BatchGradients {
  loss: tf.Scalar;
  /** Aligned with model.trainableWeights; a weight the loss does not reach gets zeros. */
  grads: tf.Tensor[];
  /** The model's outputs for the batch (before any update), flattened. */
  logits: Float32Array;
}

export function batchGradients(
  model: tf.LayersModel,
  loss: LossFunction,
  xs: tf.Tensor,
  ys: tf.Tensor,
): BatchGradients {
  let logits = new Float32Array(0);
  const [value, ...grads] = tf.tidy(() => {
    const result = tf.variableGrads(() => {
      const output = applyForTraining(model, xs) as tf.Tensor;
      // Read here, inside the pass that computes it anyway, so no tensor outlives the step.
      logits = Float32Array.from(output.dataSync());
      const value = loss(ys, output);
      releaseDuringBackward();
      return value;
    });
    return [result.value, ...model.trainableWeights.map((w) => result.grads[w.name] ?? tf.zeros(w.shape as number[]))];
  });
  return { loss: value as tf.Scalar, grads, logits };
}
