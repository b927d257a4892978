/**
 * The detection and verification losses as registry entries. Their targets are the batches the
 * engine builds for those tasks: CenterNet target maps [B, H, W, classes + 5]
 * (ml/detection/centernet-targets.ts), and a batch's relation matrix [N, N] (1 same, −1
 * different, 0 unknown; ml/siamese/losses.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError, type LossConfig } from '../../contract/index';
import { centerNetLoss } from '../detection/losses';
import { relationBatchHardTripletLoss, relationContrastiveLoss } from '../siamese/losses';
import type { LossFunction, LossTarget } from './registry';

type Config<N extends LossConfig['name']> = Extract<LossConfig, { name: N }>;

export function centerNet(config: Config<'centernet'>, target: LossTarget): LossFunction {
  if (target.outputChannels !== target.numClasses + 4) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The CenterNet loss needs ${target.numClasses + 4} output channels (classes + size + offset); the model gives ${target.outputChannels}.`,
    );
  }
  return centerNetLoss({
    numClasses: target.numClasses,
    sizeLoss: config.sizeLoss,
    offsetWeight: config.offsetWeight,
    ...(config.sizeWeight !== undefined ? { sizeWeight: config.sizeWeight } : {}),
  });
}

export function contrastive(config: Config<'contrastive'>): LossFunction {
  return (relation, embeddings) =>
    relationContrastiveLoss(embeddings as tf.Tensor2D, relation as tf.Tensor2D, config.margin);
}

export function batchHardTriplet(config: Config<'batch-hard-triplet'>): LossFunction {
  return (relation, embeddings) =>
    relationBatchHardTripletLoss(embeddings as tf.Tensor2D, relation as tf.Tensor2D, config.margin);
}
