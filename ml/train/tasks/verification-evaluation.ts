/**
 * Scores a Siamese model on one split: every image embedded once, then every pair scored by the
 * cosine similarity of its embeddings. The pairs are the split's labelled pairs when it has any,
 * else every pair of its images with identities (up to MAX_EVALUATION_PAIRS). The decision
 * threshold is the given one (the model card's), or, while training, the one this split itself
 * would choose at the target FAR.
 */
import * as tf from '@tensorflow/tfjs';
import {
  LoupeError,
  REPORTED_FAR,
  type PairResult,
  type SplitName,
  type VerificationReport,
} from '../../../contract/index';
import { batchRanges } from '../../data/batches';
import type { PreparedDataset, PreparedSample, SplitPair } from '../../data/dataset';
import { deriveSeed, SeededRandom, STREAM } from '../../data/random';
import { yieldToMessages } from '../../worker/runtime';
import { operatingPointAtFar, ratesAtThreshold, verificationMetrics } from '../../metrics/verification';
import { cosineSimilarity } from '../../siamese/gallery';
import type { EvaluationOutcome } from '../evaluate';
import { outputOf, type ScoredModel } from '../scored-model';
import type { SplitEvaluationOptions } from './evaluation';
import { relationOfIdentities } from './verification-run';

/**
 * Most pairs one evaluation scores: every pair of ~450 images. Beyond it all same pairs are kept
 * (up to half the budget) and different pairs are drawn, seeded, to fill it; the report's pair
 * counts say how many were scored.
 */
export const MAX_EVALUATION_PAIRS = 100_000;
/** Images per block of the validation loss: the loss of N images needs an N × N matrix. */
const LOSS_BLOCK = 1024;

/** Unit embeddings of every sample, in order, one model pass per batch. */
export async function embedSamples(
  model: ScoredModel,
  samples: readonly PreparedSample[],
  spec: PreparedDataset['spec'],
  options: SplitEvaluationOptions,
): Promise<Float32Array<ArrayBuffer>[]> {
  const pixels = spec.rows * spec.columns * spec.channels;
  const out: Float32Array<ArrayBuffer>[] = [];
  const ranges = batchRanges(samples.length, options.batchSize);
  for (const [index, [start, end]] of ranges.entries()) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const x = new Float32Array((end - start) * pixels);
    for (let i = start; i < end; i++) x.set(samples[i]!.image, (i - start) * pixels);
    const input = tf.tensor4d(x, [end - start, spec.rows, spec.columns, spec.channels]);
    const embedding = (await outputOf(model, input)) as tf.Tensor2D;
    input.dispose();
    const values = (await embedding.data()) as Float32Array;
    const d = embedding.shape[1];
    embedding.dispose();
    for (let i = 0; i < end - start; i++) out.push(new Float32Array(values.subarray(i * d, (i + 1) * d)));
    options.onBatch?.(index + 1, ranges.length);
    await yieldToMessages();
  }
  return out;
}

/** The pairs a split is scored on, and where they came from. */
export function evaluationPairs(
  data: PreparedDataset,
  split: SplitName,
): { pairs: SplitPair[]; source: 'pairs' | 'identities' } {
  if (data.pairs[split].length > 0) return { pairs: data.pairs[split], source: 'pairs' };
  const samples = data.splits[split];
  const same: SplitPair[] = [];
  const different: SplitPair[] = [];
  for (let a = 0; a < samples.length; a++) {
    const ia = samples[a]!.identity;
    if (ia === undefined) continue;
    for (let b = a + 1; b < samples.length; b++) {
      const ib = samples[b]!.identity;
      if (ib === undefined) continue;
      (ia === ib ? same : different).push({ a, b, same: ia === ib });
    }
  }
  if (same.length + different.length <= MAX_EVALUATION_PAIRS)
    return { pairs: [...same, ...different], source: 'identities' };
  const random = new SeededRandom(deriveSeed(STREAM.pairs, samples.length));
  const keptSame = random.shuffled(same).slice(0, MAX_EVALUATION_PAIRS / 2);
  const keptDifferent = random.shuffled(different).slice(0, MAX_EVALUATION_PAIRS - keptSame.length);
  const order = (p: SplitPair, q: SplitPair): number => p.a - q.a || p.b - q.b;
  return { pairs: [...keptSame, ...keptDifferent].sort(order), source: 'identities' };
}

export interface VerificationEvaluationSettings {
  targetFar: number;
  /** Decide with this threshold; null: choose it on this split at targetFar. */
  threshold: number | null;
}

export async function evaluateVerificationSplit(
  model: ScoredModel,
  data: PreparedDataset,
  split: SplitName,
  settings: VerificationEvaluationSettings,
  options: SplitEvaluationOptions,
): Promise<EvaluationOutcome> {
  const samples = data.splits[split];
  const embeddings = await embedSamples(model, samples, data.spec, options);
  const { pairs, source } = evaluationPairs(data, split);
  const scores = pairs.map((p) => cosineSimilarity(embeddings[p.a]!, embeddings[p.b]!));
  const labels = pairs.map((p) => (p.same ? 1 : 0) as 0 | 1);
  const genuine = labels.filter((l) => l === 1).length;
  const impostor = labels.length - genuine;
  const both = genuine > 0 && impostor > 0;
  const metrics = both ? verificationMetrics(scores, labels, REPORTED_FAR) : null;
  const threshold =
    settings.threshold ?? (both ? operatingPointAtFar(scores, labels, settings.targetFar).threshold : null);
  const rates = threshold !== null && both ? ratesAtThreshold(scores, labels, threshold) : null;
  const correct = threshold === null ? 0 : scores.filter((s, i) => s >= threshold === (labels[i] === 1)).length;
  const report: VerificationReport = {
    task: 'verification',
    split,
    count: samples.length,
    pairSource: source,
    genuinePairs: genuine,
    impostorPairs: impostor,
    auc: metrics?.auc ?? null,
    eer: metrics?.eer ?? null,
    eerThreshold: metrics?.eerThreshold ?? null,
    tarAtFar: metrics?.tarAtFar ?? null,
    roc: metrics ? { ...metrics.roc, thresholds: finiteThresholds(metrics.roc.thresholds) } : null,
    decision: {
      threshold,
      targetFar: settings.targetFar,
      far: rates?.far ?? null,
      tar: rates?.tar ?? null,
      // Over one kind of pair alone "accuracy" would only be TAR or 1 − FAR under another name.
      accuracy: threshold !== null && both ? correct / pairs.length : null,
    },
  };
  const loss = options.loss ? await blockLoss(samples, embeddings, data.pairs[split], options) : null;
  const outcome: EvaluationOutcome = { report, loss, predictions: [] };
  if (options.keepPredictions) {
    outcome.predictions = samples.map((s, i) => ({ id: s.id, prediction: { embedding: embeddings[i]! } }));
    outcome.pairs = pairs.map(
      (p, k): PairResult => ({
        a: samples[p.a]!.id,
        b: samples[p.b]!.id,
        score: scores[k]!,
        distance: Math.sqrt(Math.max(0, 2 - 2 * scores[k]!)),
        same: threshold !== null && scores[k]! >= threshold,
        truth: p.same,
      }),
    );
  }
  return outcome;
}

/** JSON has no Infinity: the accept-nothing threshold becomes the highest score + 1 (scikit-learn < 1.3). */
function finiteThresholds(thresholds: readonly number[]): number[] {
  return thresholds.map((t, i) => (Number.isFinite(t) ? t : (thresholds[i + 1] ?? 0) + 1));
}

/** The loss over the split's known pairs, in blocks of consecutive images, weighted by block size; null when no pair is known. */
async function blockLoss(
  samples: readonly PreparedSample[],
  embeddings: readonly Float32Array[],
  labelled: readonly SplitPair[],
  options: SplitEvaluationOptions,
): Promise<number | null> {
  const d = embeddings[0]?.length ?? 0;
  let sum = 0;
  let counted = 0;
  for (let start = 0; start < samples.length; start += LOSS_BLOCK) {
    const end = Math.min(samples.length, start + LOSS_BLOCK);
    const n = end - start;
    let relation: Float32Array;
    if (labelled.length > 0) {
      relation = new Float32Array(n * n);
      for (const p of labelled) {
        if (p.a < start || p.a >= end || p.b < start || p.b >= end) continue;
        relation[(p.a - start) * n + p.b - start] = relation[(p.b - start) * n + p.a - start] = p.same ? 1 : -1;
      }
    } else {
      relation = relationOfIdentities(samples.slice(start, end).map((s) => s.identity ?? null));
    }
    if (!relation.some((r) => r !== 0)) continue;
    const flat = new Float32Array(n * d);
    embeddings.slice(start, end).forEach((e, i) => flat.set(e, i * d));
    const value = tf.tidy(() => options.loss!(tf.tensor2d(relation, [n, n]), tf.tensor2d(flat, [n, d])));
    sum += (await value.data())[0]! * n;
    counted += n;
    value.dispose();
  }
  return counted ? sum / counted : null;
}
