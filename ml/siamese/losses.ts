/**
 * Metric-learning losses on L2-normalised embeddings, as tf functions returning a scalar.
 * Distances are Euclidean; for unit vectors d² = 2 − 2·cos, so d lies in [0, 2].
 */
import * as tf from '@tensorflow/tfjs';

/** Keeps sqrt's gradient finite at distance 0 (an anchor with itself, identical embeddings). */
const DISTANCE_EPSILON = 1e-12;

/**
 * Contrastive loss (Hadsell, Chopra, LeCun, CVPR 2006): same pairs are pulled together (d²),
 * different pairs pushed beyond the margin (max(0, m − d)²). Mean over pairs.
 * Default margin 1.0: different pairs should end at cosine ≤ 0.5.
 */
export function contrastiveLoss(a: tf.Tensor2D, b: tf.Tensor2D, same: tf.Tensor1D, margin = 1.0): tf.Scalar {
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(tf.sub(a, b)), -1);
    const d = tf.sqrt(tf.add(squared, DISTANCE_EPSILON));
    const y = tf.cast(same, 'float32');
    const pull = tf.mul(y, squared);
    const push = tf.mul(tf.sub(1, y), tf.square(tf.relu(tf.sub(margin, d))));
    return tf.mean(tf.add(pull, push)) as tf.Scalar;
  });
}

/** Pairwise Euclidean distances [N, N] of embeddings [N, D]. */
export function pairwiseDistances(embeddings: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.sum(tf.square(embeddings), -1);
    const dot = tf.matMul(embeddings, embeddings, false, true);
    const squared = tf.relu(tf.add(tf.sub(tf.expandDims(norms, 1), tf.mul(dot, 2)), tf.expandDims(norms, 0)));
    return tf.sqrt(tf.add(squared, DISTANCE_EPSILON)) as tf.Tensor2D;
  });
}

/** Same-label and different-label masks [N, N] (the diagonal excluded from "same"). */
export function labelMasks(labels: ArrayLike<number>): { positive: Float32Array; negative: Float32Array } {
  const n = labels.length;
  const positive = new Float32Array(n * n);
  const negative = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (labels[i] === labels[j]) positive[i * n + j] = 1;
      else negative[i * n + j] = 1;
    }
  }
  return { positive, negative };
}

/**
 * What is known about each pair of a batch, as one [N, N] matrix: 1 same, −1 different, 0
 * unknown (and the diagonal). From class labels every pair is known; from labelled pairs only
 * the labelled ones. The engine's verification batches carry this as their target.
 */
export const RELATION = { same: 1, different: -1, unknown: 0 } as const;

export function relationFromLabels(labels: ArrayLike<number>): Float32Array {
  const { positive, negative } = labelMasks(labels);
  return positive.map((p, i) => p - negative[i]!);
}

function relationMasks(relation: tf.Tensor2D): { pos: tf.Tensor2D; neg: tf.Tensor2D } {
  return {
    pos: tf.cast(tf.equal(relation, RELATION.same), 'float32') as tf.Tensor2D,
    neg: tf.cast(tf.equal(relation, RELATION.different), 'float32') as tf.Tensor2D,
  };
}

/**
 * Batch-hard triplet loss (Hermans, Beyer, Leibe, "In Defense of the Triplet Loss", 2017): each
 * anchor in the batch takes its farthest known-same sample and its nearest known-different one;
 * loss max(0, d(a, p) − d(a, n) + margin), averaged over anchors that have both. Mining is online,
 * from the batch's relation; batches should hold several samples per identity (identityBatch in
 * pairs.ts). Default margin 0.2.
 */
export function relationBatchHardTripletLoss(embeddings: tf.Tensor2D, relation: tf.Tensor2D, margin = 0.2): tf.Scalar {
  checkRelation(embeddings, relation);
  return tf.tidy(() => {
    const d = pairwiseDistances(embeddings);
    const { pos, neg } = relationMasks(relation);
    const hardestPositive = tf.max(tf.mul(d, pos), 1);
    // Non-negatives are lifted above every real distance (≤ 2 for unit vectors) before the min.
    const hardestNegative = tf.min(tf.add(d, tf.mul(tf.sub(1, neg), tf.add(tf.max(d), 1))), 1);
    const perAnchor = tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), margin));
    const valid = tf.mul(
      tf.cast(tf.greater(tf.sum(pos, 1), 0), 'float32'),
      tf.cast(tf.greater(tf.sum(neg, 1), 0), 'float32'),
    );
    return tf.div(tf.sum(tf.mul(perAnchor, valid)), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/** batchHardTripletLoss with the relation made from class labels. */
export function batchHardTripletLoss(embeddings: tf.Tensor2D, labels: ArrayLike<number>, margin = 0.2): tf.Scalar {
  if (embeddings.shape[0] !== labels.length)
    throw new RangeError(`Got ${embeddings.shape[0]} embeddings but ${labels.length} labels.`);
  return tf.tidy(() =>
    relationBatchHardTripletLoss(
      embeddings,
      tf.tensor2d(relationFromLabels(labels), [labels.length, labels.length]),
      margin,
    ),
  );
}

export interface MinedTriplet {
  anchor: number;
  positive: number;
  negative: number;
  /** d(a, p) − d(a, n): positive means the triplet is still violated (without margin). */
  violation: number;
}

/** The triplets batchHardTripletLoss uses, as indices (for inspection, tests and the UI). */
export function mineHardTriplets(distances: ArrayLike<number>, labels: ArrayLike<number>): MinedTriplet[] {
  const n = labels.length;
  const out: MinedTriplet[] = [];
  for (let a = 0; a < n; a++) {
    let p = -1;
    let q = -1;
    for (let j = 0; j < n; j++) {
      if (j === a) continue;
      const d = distances[a * n + j]!;
      if (labels[j] === labels[a]) {
        if (p < 0 || d > distances[a * n + p]!) p = j;
      } else if (q < 0 || d < distances[a * n + q]!) q = j;
    }
    if (p >= 0 && q >= 0)
      out.push({ anchor: a, positive: p, negative: q, violation: distances[a * n + p]! - distances[a * n + q]! });
  }
  return out;
}

/**
 * Contrastive loss over every known pair of a batch (online pair mining): same pairs pulled
 * together (d²), different pairs pushed beyond the margin (max(0, m − d)²). A batch holds far more
 * different pairs than same ones, so each kind is averaged on its own and the two means added:
 * neither swamps the other. Default margin 1.0: different pairs should end at cosine ≤ 0.5.
 */
export function relationContrastiveLoss(embeddings: tf.Tensor2D, relation: tf.Tensor2D, margin = 1.0): tf.Scalar {
  checkRelation(embeddings, relation);
  return tf.tidy(() => {
    const d = pairwiseDistances(embeddings);
    const { pos, neg } = relationMasks(relation);
    const pull = tf.div(tf.sum(tf.mul(tf.square(d), pos)), tf.maximum(tf.sum(pos), 1));
    const push = tf.div(tf.sum(tf.mul(tf.square(tf.relu(tf.sub(margin, d))), neg)), tf.maximum(tf.sum(neg), 1));
    return tf.add(pull, push) as tf.Scalar;
  });
}

/** relationContrastiveLoss with the relation made from class labels. */
export function batchContrastiveLoss(embeddings: tf.Tensor2D, labels: ArrayLike<number>, margin = 1.0): tf.Scalar {
  if (embeddings.shape[0] !== labels.length)
    throw new RangeError(`Got ${embeddings.shape[0]} embeddings but ${labels.length} labels.`);
  return tf.tidy(() =>
    relationContrastiveLoss(
      embeddings,
      tf.tensor2d(relationFromLabels(labels), [labels.length, labels.length]),
      margin,
    ),
  );
}

function checkRelation(embeddings: tf.Tensor2D, relation: tf.Tensor): void {
  const n = embeddings.shape[0];
  if (relation.shape.length !== 2 || relation.shape[0] !== n || relation.shape[1] !== n) {
    throw new RangeError(`A batch of ${n} embeddings needs a ${n}×${n} relation; got [${relation.shape.join(', ')}].`);
  }
}
