/**
 * What differs between the kinds of task while a run trains: how an epoch's batches are drawn,
 * what a batch's target tensor is, and the running training metric. The loop (ml/train/loop.ts)
 * is the same for all four kinds; evaluation is in ./evaluation.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../../contract/index';
import { batchRanges, epochOrder, makeBatch, type Batch } from '../../data/batches';
import type { PreparedDataset } from '../../data/dataset';
import { batchMetric } from '../train-metric';
import { openDetectionRun } from './detection-run';
import { openVerificationRun } from './verification-run';

/** One training batch as planned: indices into the training split (an index may repeat). */
export interface PlannedBatch {
  indices: number[];
  /** Verification from labelled pairs: `indices` is [a₁…a_B, b₁…b_B] and pair i is (i, i + B). */
  same?: boolean[];
}

export interface TaskRun {
  /** The running training metric's name, as progress reports it. */
  metricName: string;
  /**
   * False when the loss couples the samples of a batch, so that a batch cannot be split into parts
   * whose gradients, weighted by size, add up to the whole's: CenterNet normalises by the batch's
   * object count, and verification losses compare every image with every other.
   */
  splittable: boolean;
  batchesPerEpoch: number;
  /** The training batches of one epoch, drawn from streams keyed by (seed, epoch) only. */
  epochBatches(epoch: number): PlannedBatch[];
  /** The tensors of one planned batch, augmented (seeded per epoch and slot). The caller disposes them. */
  trainingBatch(planned: PlannedBatch, epoch: number, batchIndex: number): Batch;
  /** The training metric of one batch from the model's outputs before the update; null when it is undefined for this batch. */
  batchMetric(outputs: Float32Array, targets: ArrayLike<number>, size: number): number | null;
}

export function openTaskRun(config: TrainingConfig, data: PreparedDataset, model: tf.LayersModel): TaskRun {
  if (config.task === 'detection') return openDetectionRun(config, data, model);
  if (config.task === 'verification') return openVerificationRun(config, data);
  return openClassOrMaskRun(config, data);
}

/** Classification and segmentation: every training image once per epoch, shuffled by (seed, epoch). */
function openClassOrMaskRun(config: TrainingConfig, data: PreparedDataset): TaskRun {
  const train = data.splits.train;
  const ranges = batchRanges(train.length, config.batchSize);
  const metricName = config.task === 'classification' ? 'accuracy' : 'dice';
  return {
    metricName,
    splittable: true,
    batchesPerEpoch: ranges.length,
    epochBatches: (epoch) => {
      const order = epochOrder(train.length, config.seed, epoch);
      return ranges.map(([start, end]) => ({ indices: order.slice(start, end) }));
    },
    trainingBatch: (planned, epoch) =>
      makeBatch(train, planned.indices, {
        spec: data.spec,
        augment: { config: config.augment, seed: config.seed, epoch },
      }),
    batchMetric: (outputs, targets, size) => batchMetric(metricName, outputs, targets, size),
  };
}
