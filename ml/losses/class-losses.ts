/**
 * Softmax losses over the last axis, for classification ([B, K] logits) and segmentation
 * ([B, H, W, K] logits) alike; targets are class indices ([B] or [B, H, W]). A one-channel
 * sigmoid output is treated as two-class softmax over [0, z], which is the same probability.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type LossConfig } from '../../contract/index';
import type { LossFunction, LossTarget } from './registry';

/** Logits as [N, K] rows, binary sigmoid outputs expanded to two classes. */
export function classLogits(logits: tf.Tensor): tf.Tensor2D {
  const channels = logits.shape.at(-1)!;
  const rows = logits.reshape([-1, channels]) as tf.Tensor2D;
  return channels === 1 ? (tf.concat([tf.zerosLike(rows), rows], 1) as tf.Tensor2D) : rows;
}

function checkWeights(weights: number[] | undefined, target: LossTarget, what: string): void {
  if (weights && weights.length !== target.numClasses) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${what} has ${weights.length} values but the task has ${target.numClasses} classes.`,
    );
  }
}

/**
 * torch.nn.CrossEntropyLoss(weight, label_smoothing) with mean reduction, including its
 * normalisation: both terms are divided by the summed weight of the targets' classes.
 */
export function crossEntropy(config: Extract<LossConfig, { name: 'cross-entropy' }>, target: LossTarget): LossFunction {
  checkWeights(config.classWeights, target, 'classWeights');
  const k = target.numClasses;
  const epsilon = config.labelSmoothing;
  return (labels, logits) =>
    tf.tidy(() => {
      const logProbs = tf.logSoftmax(classLogits(logits));
      const flat = labels.reshape([-1]).toInt();
      const oneHot = tf.oneHot(flat, k).toFloat();
      const weights = config.classWeights ? tf.tensor1d(config.classWeights) : tf.ones([k]);
      const targetWeight = oneHot.mul(weights).sum(1);
      const denominator = targetWeight.sum();
      const nll = logProbs.mul(oneHot).sum(1).mul(targetWeight).sum().neg().div(denominator);
      if (epsilon === 0) return nll as tf.Scalar;
      const smooth = logProbs.mul(weights).sum().neg().div(denominator);
      return nll.mul(1 - epsilon).add(smooth.mul(epsilon / k)) as tf.Scalar;
    });
}

/** Focal loss (Lin et al. 2017), softmax form: mean of -α_t (1 - p_t)^γ log p_t. */
export function focal(config: Extract<LossConfig, { name: 'focal' }>, target: LossTarget): LossFunction {
  checkWeights(config.alpha, target, 'alpha');
  const k = target.numClasses;
  return (labels, logits) =>
    tf.tidy(() => {
      const logProbs = tf.logSoftmax(classLogits(logits));
      const oneHot = tf.oneHot(labels.reshape([-1]).toInt(), k).toFloat();
      const logPt = logProbs.mul(oneHot).sum(1);
      const pt = logPt.exp();
      const alpha = config.alpha ? oneHot.mul(tf.tensor1d(config.alpha)).sum(1) : tf.onesLike(pt);
      return alpha.mul(tf.scalar(1).sub(pt).pow(config.gamma)).mul(logPt).neg().mean() as tf.Scalar;
    });
}
