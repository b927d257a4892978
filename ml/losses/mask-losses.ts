/**
 * Segmentation losses on logits: BCE (one sigmoid channel), soft Dice (MONAI DiceLoss: per image
 * and class, then averaged), and their sums with BCE or cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type LossConfig } from '../../contract/index';
import { crossEntropy } from './class-losses';
import type { LossFunction, LossTarget } from './registry';

function requireSigmoid(target: LossTarget, name: string): void {
  if (target.outputChannels !== 1) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The ${name} loss needs a two-class task (one sigmoid output); use cross-entropy or cross-entropy-dice for ${target.numClasses} classes.`,
    );
  }
}

/** torch.nn.BCEWithLogitsLoss(pos_weight): mean of w·y·softplus(-z) + (1-y)·softplus(z). */
export function bce(config: Extract<LossConfig, { name: 'bce' }>, target: LossTarget): LossFunction {
  requireSigmoid(target, 'bce');
  return (labels, logits) =>
    tf.tidy(() => {
      const z = logits.reshape([-1]);
      const y = labels.reshape([-1]).toFloat();
      const positive = y.mul(tf.softplus(z.neg())).mul(config.positiveWeight);
      const negative = tf.scalar(1).sub(y).mul(tf.softplus(z));
      return positive.add(negative).mean() as tf.Scalar;
    });
}

/**
 * Soft Dice loss as MONAI's DiceLoss (sigmoid for one channel, softmax otherwise; batch=False):
 * 1 - (2·Σpg + smooth) / (Σp + Σg + smooth) per image and class, averaged over both. With one
 * sigmoid channel that channel is the foreground; with softmax the background channel is left
 * out unless `includeBackground`.
 */
export function softDice(smooth: number, includeBackground: boolean, target: LossTarget): LossFunction {
  const k = target.numClasses;
  return (labels, logits) =>
    tf.tidy(() => {
      const batch = logits.shape[0]!;
      let probs: tf.Tensor;
      let truth: tf.Tensor;
      if (target.outputChannels === 1) {
        probs = tf.sigmoid(logits).reshape([batch, -1, 1]);
        truth = labels.reshape([batch, -1, 1]).toFloat();
      } else {
        probs = tf.softmax(logits).reshape([batch, -1, k]);
        truth = tf.oneHot(labels.reshape([batch, -1]).toInt(), k).toFloat();
        if (!includeBackground) {
          probs = probs.slice([0, 0, 1], [-1, -1, k - 1]);
          truth = truth.slice([0, 0, 1], [-1, -1, k - 1]);
        }
      }
      const intersection = probs.mul(truth).sum(1);
      const denominator = probs.sum(1).add(truth.sum(1));
      const dice = intersection.mul(2).add(smooth).div(denominator.add(smooth));
      return tf.scalar(1).sub(dice).mean() as tf.Scalar;
    });
}

export function bceDice(config: Extract<LossConfig, { name: 'bce-dice' }>, target: LossTarget): LossFunction {
  requireSigmoid(target, 'bce-dice');
  const bceLoss = bce({ name: 'bce', positiveWeight: 1 }, target);
  const diceLoss = softDice(config.smooth, false, target);
  return (labels, logits) =>
    tf.tidy(
      () =>
        bceLoss(labels, logits).mul(config.bceWeight).add(diceLoss(labels, logits).mul(config.diceWeight)) as tf.Scalar,
    );
}

export function crossEntropyDice(
  config: Extract<LossConfig, { name: 'cross-entropy-dice' }>,
  target: LossTarget,
): LossFunction {
  const ceLoss = crossEntropy({ name: 'cross-entropy', labelSmoothing: 0 }, target);
  const diceLoss = softDice(config.smooth, false, target);
  return (labels, logits) =>
    tf.tidy(
      () =>
        ceLoss(labels, logits)
          .mul(config.crossEntropyWeight)
          .add(diceLoss(labels, logits).mul(config.diceWeight)) as tf.Scalar,
    );
}
