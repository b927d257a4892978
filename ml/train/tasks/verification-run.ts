/**
 * Verification training batches. From identities: P × K batches (P = batchSize / K identities,
 * K images each, Hermans et al. 2017), so every image has same and different partners in its
 * batch and the loss mines them online. From labelled pairs: batchSize / 2 pairs per batch. Either
 * way the target is the batch's relation matrix (1 same, −1 different, 0 unknown). The running
 * metric is the ROC AUC of the batch's known pairs by cosine similarity.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type TrainingConfig } from '../../../contract/index';
import { augmentSample } from '../../augment/augment';
import type { PreparedDataset } from '../../data/dataset';
import { deriveSeed, SeededRandom, STREAM } from '../../data/random';
import { RELATION } from '../../siamese/losses';
import { identityBatch } from '../../siamese/pairs';
import { resolvedVerificationSettings } from './settings';
import type { PlannedBatch, TaskRun } from './task-run';

export function openVerificationRun(config: TrainingConfig, data: PreparedDataset): TaskRun {
  const settings = resolvedVerificationSettings(config.verification);
  const train = data.splits.train;
  const { rows, columns, channels } = data.spec;
  const pixels = rows * columns * channels;
  let batchesPerEpoch: number;
  let epochBatches: (epoch: number) => PlannedBatch[];
  if (settings.source === 'identities') {
    const identitiesPerBatch = Math.floor(config.batchSize / settings.imagesPerIdentity);
    if (identitiesPerBatch < 2) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `A batch of ${config.batchSize} images holds fewer than two identities of ${settings.imagesPerIdentity} images; raise batchSize to at least ${2 * settings.imagesPerIdentity}.`,
      );
    }
    const missing = train.findIndex((s) => s.identity === undefined);
    if (missing >= 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Training image "${train[missing]!.id}" has no identity; give every image one, or train from labelled pairs.`,
      );
    const labels = train.map((s) => s.identity!);
    batchesPerEpoch = Math.max(1, Math.ceil(train.length / config.batchSize));
    epochBatches = (epoch) => {
      const rng = new SeededRandom(deriveSeed(config.seed, STREAM.order, epoch));
      return Array.from({ length: batchesPerEpoch }, () => ({
        indices: identityBatch(labels, {
          identitiesPerBatch,
          imagesPerIdentity: settings.imagesPerIdentity,
          random: () => rng.next(),
        }),
      }));
    };
    epochBatches(0); // refuses, with the reason, a training split without two identities of two images
  } else {
    if (config.loss.name === 'batch-hard-triplet') {
      throw new LoupeError(
        'INVALID_REQUEST',
        'Batch-hard triplet loss needs identities (several images of each) to mine from; with labelled pairs use the contrastive loss.',
      );
    }
    const pairs = data.pairs.train;
    if (!pairs.some((p) => p.same) || !pairs.some((p) => !p.same)) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `Training from labelled pairs needs both same and different pairs in the training split; it has ${pairs.filter((p) => p.same).length} same and ${pairs.filter((p) => !p.same).length} different.`,
      );
    }
    const pairsPerBatch = Math.max(1, Math.floor(config.batchSize / 2));
    batchesPerEpoch = Math.ceil(pairs.length / pairsPerBatch);
    epochBatches = (epoch) => {
      const order = new SeededRandom(deriveSeed(config.seed, STREAM.order, epoch)).shuffled(pairs);
      return Array.from({ length: batchesPerEpoch }, (_, b) => {
        const chunk = order.slice(b * pairsPerBatch, (b + 1) * pairsPerBatch);
        return { indices: [...chunk.map((p) => p.a), ...chunk.map((p) => p.b)], same: chunk.map((p) => p.same) };
      });
    };
  }
  return {
    metricName: 'pair_auc',
    splittable: false,
    batchesPerEpoch,
    epochBatches,
    trainingBatch: (planned, epoch, batchIndex) => {
      const n = planned.indices.length;
      const x = new Float32Array(n * pixels);
      planned.indices.forEach((index, slot) => {
        // Seeded per slot, not per image: an image drawn twice into a batch gets two different views.
        const rng = new SeededRandom(deriveSeed(config.seed, STREAM.augment, epoch, batchIndex * n + slot));
        x.set(
          augmentSample({ image: train[index]!.image, rows, columns, channels }, config.augment, rng).image,
          slot * pixels,
        );
      });
      const relation = planned.same
        ? relationOfPairs(planned.same)
        : relationOfIdentities(planned.indices.map((i) => train[i]!.identity!));
      return { x: tf.tensor4d(x, [n, rows, columns, channels]), y: tf.tensor2d(relation, [n, n]), size: n };
    },
    batchMetric: (outputs, targets, size) => knownPairAuc(outputs, targets, size),
  };
}

/** Same or different for every pair of images with identities; unknown (0) where one has none. */
export function relationOfIdentities(identities: readonly (number | null)[]): Float32Array {
  const n = identities.length;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j || identities[i] === null || identities[j] === null) continue;
      out[i * n + j] = identities[i] === identities[j] ? RELATION.same : RELATION.different;
    }
  }
  return out;
}

/** Pairs (i, i + B) of a [a₁…a_B, b₁…b_B] batch; every other entry unknown. */
export function relationOfPairs(same: readonly boolean[]): Float32Array {
  const half = same.length;
  const n = 2 * half;
  const out = new Float32Array(n * n);
  same.forEach((s, i) => {
    const value = s ? RELATION.same : RELATION.different;
    out[i * n + i + half] = value;
    out[(i + half) * n + i] = value;
  });
  return out;
}

/**
 * ROC AUC of the known pairs (i < j) of a batch, scored by the dot product of their unit
 * embeddings: the probability that a random same pair scores above a random different one
 * (ties count half), i.e. the Mann–Whitney statistic. Null without both kinds of pair.
 */
export function knownPairAuc(embeddings: Float32Array, relation: ArrayLike<number>, size: number): number | null {
  const d = embeddings.length / size;
  const scored: { score: number; same: boolean }[] = [];
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const r = relation[i * size + j];
      if (r === RELATION.unknown) continue;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += embeddings[i * d + k]! * embeddings[j * d + k]!;
      scored.push({ score: dot, same: r === RELATION.same });
    }
  }
  const positives = scored.filter((p) => p.same).length;
  const negatives = scored.length - positives;
  if (positives === 0 || negatives === 0) return null;
  scored.sort((a, b) => a.score - b.score);
  // Sum of the same pairs' ranks, ties given their mean rank.
  let rankSum = 0;
  for (let start = 0; start < scored.length; ) {
    let end = start;
    while (end + 1 < scored.length && scored[end + 1]!.score === scored[start]!.score) end++;
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (scored[k]!.same) rankSum += meanRank;
    start = end + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
