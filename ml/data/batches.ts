/**
 * Batches for training and evaluation. The training order of an epoch and each sample's
 * augmentation are drawn from streams keyed by (seed, epoch[, sample]), so any epoch can be
 * replayed exactly — the basis of deterministic runs and exact resume.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig, PreprocessingSpec } from '../../contract/index';
import { augmentSample } from '../augment/augment';
import type { PreparedSample } from './dataset';
import { deriveSeed, SeededRandom, STREAM } from './random';

/** x: [B, H, W, C] inputs; y: class indices, [B] (classification) or [B, H, W] (segmentation). */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor;
  size: number;
}

/** Sample indices of one training epoch, shuffled by (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  return new SeededRandom(deriveSeed(seed, STREAM.order, epoch)).shuffled(indices);
}

/** Index ranges [start, end) of the batches over `count` samples; the last one may be short. */
export function batchRanges(count: number, batchSize: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < count; start += batchSize) ranges.push([start, Math.min(count, start + batchSize)]);
  return ranges;
}

export interface BatchOptions {
  spec: PreprocessingSpec;
  /** Set for training batches: augmentation, seeded per (seed, epoch, sample index). */
  augment?: { config: AugmentConfig; seed: number; epoch: number };
}

/** Builds the tensors of one batch from `indices` into `samples`. The caller disposes them. */
export function makeBatch(
  samples: readonly PreparedSample[],
  indices: readonly number[],
  options: BatchOptions,
): Batch {
  const { rows, columns, channels } = options.spec;
  const pixels = rows * columns;
  const x = new Float32Array(indices.length * pixels * channels);
  const segmentation = samples[indices[0]!]?.mask !== undefined;
  const y = new Int32Array(segmentation ? indices.length * pixels : indices.length);
  indices.forEach((index, b) => {
    const sample = samples[index]!;
    let image = sample.image;
    let mask = sample.mask;
    if (options.augment) {
      const { config, seed, epoch } = options.augment;
      const rng = new SeededRandom(deriveSeed(seed, STREAM.augment, epoch, index));
      const out = augmentSample({ image, rows, columns, channels, ...(mask ? { mask } : {}) }, config, rng);
      image = out.image;
      mask = out.mask;
    }
    x.set(image, b * pixels * channels);
    if (segmentation) y.set(mask!, b * pixels);
    else y[b] = sample.label!;
  });
  return {
    x: tf.tensor4d(x, [indices.length, rows, columns, channels]),
    y: segmentation ? tf.tensor3d(y, [indices.length, rows, columns], 'int32') : tf.tensor1d(y, 'int32'),
    size: indices.length,
  };
}
