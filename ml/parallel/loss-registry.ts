/**
 * Losses a gradient worker can compute, by name. A worker thread cannot receive a function, so
 * the training loop names its loss (and its options) and both threads look it up here.
 *
 * Every loss listed must be a mean over the batch's samples: the two halves' gradients are
 * combined as (n₁·g₁ + n₂·g₂)/(n₁ + n₂), which equals the whole batch's gradient only then.
 * (A Dice loss summed over the whole batch before dividing is not such a mean; a per-image Dice
 * averaged over the batch is.) Add the engine's losses to LOSSES as they are written.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/errors';
import type { LossConfig } from '../../contract/index';
import { createLoss, type LossFunction, type LossTarget } from '../losses/index';

/** A loss as the training loop names it: serialisable, so it can cross to the worker. */
export interface LossSpec {
  name: string;
  config?: Record<string, unknown>;
}

/** The registry name of a training run's loss: config `{ loss: LossConfig, target: LossTarget }`. */
export const ENGINE_LOSS = 'engine';

/** Probabilities are clipped away from 0 and 1 by this much before a log, as Keras does. */
const LOG_EPSILON = 1e-7;

const LOSSES: Record<string, (config: Record<string, unknown>) => LossFunction> = {
  /** Softmax outputs against one-hot targets (the reference models of bench:train and the backend tests). */
  categoricalCrossentropy: () => (yTrue, yPred) => tf.mean(tf.metrics.categoricalCrossentropy(yTrue, yPred)),
  /** Sigmoid outputs against 0/1 targets, any shape (segmentation masks included). */
  binaryCrossentropy: () => (yTrue, yPred) => {
    const p = tf.clipByValue(yPred, LOG_EPSILON, 1 - LOG_EPSILON);
    const perElement = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
    return tf.mean(perElement);
  },
  /**
   * A training run's own loss (ml/losses), by its config and output. Only configs that are a
   * per-sample mean may be named here: ml/parallel/thread-plan.ts decides which.
   */
  [ENGINE_LOSS]: (config) => createLoss(config.loss as LossConfig, config.target as LossTarget),
};

export function knownLosses(): string[] {
  return Object.keys(LOSSES);
}

export function resolveLoss(spec: LossSpec): LossFunction {
  const make = LOSSES[spec.name];
  if (!make)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Loss "${spec.name}" cannot be split across threads; known: ${knownLosses().join(', ')}.`,
    );
  return make(spec.config ?? {});
}
