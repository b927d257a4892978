/**
 * Verification metrics: is this pair the same part / the same lesion or not?
 *
 * Conventions (one place, so the UI, the model card and the CLI read them the same way):
 *   - a pair has a similarity SCORE, higher = more alike (Loupe's Siamese models give the cosine
 *     similarity of their L2-normalised embeddings, in [−1, 1]);
 *   - a pair is labelled 1 "same" (genuine) or 0 "different" (impostor);
 *   - the DECISION at threshold t is "same" when score ≥ t;
 *   - FAR (false accept rate) = impostor pairs decided "same" / impostor pairs  (= ROC's FPR);
 *     TAR (true accept rate)  = genuine pairs decided "same" / genuine pairs   (= ROC's TPR);
 *     FRR = 1 − TAR.
 * The ROC curve is scikit-learn's roc_curve (same points, same order), except that its first
 * threshold, where nothing is accepted, is +Infinity (scikit-learn ≥ 1.3; 1.2 wrote max + 1).
 */
import { LoupeError } from '../../contract/errors';

export type PairLabel = 0 | 1;

export interface RocCurve {
  /** FAR at each threshold, rising from 0 to 1. */
  fpr: number[];
  /** TAR at each threshold. */
  tpr: number[];
  /** Decreasing; the first is +Infinity (accept nothing). */
  thresholds: number[];
}

export interface RocArgs {
  /** Drop points on straight segments of the curve, as roc_curve(drop_intermediate=True). Default true. */
  dropIntermediate?: boolean;
}

function checkPairs(scores: ArrayLike<number>, labels: ArrayLike<number>): { positives: number; negatives: number } {
  if (scores.length !== labels.length) throw new RangeError(`Got ${scores.length} scores but ${labels.length} labels.`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1)
      throw new RangeError(`Pair labels are 0 (different) or 1 (same); label ${i} is ${labels[i]}.`);
    if (!Number.isFinite(scores[i]))
      throw new RangeError(`Score ${i} is ${scores[i]}; every pair needs a finite score.`);
    positives += labels[i]!;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `A ROC curve needs both same and different pairs; got ${positives} same and ${negatives} different.`,
    );
  }
  return { positives, negatives };
}

/** scikit-learn's roc_curve for binary labels (1 = same). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, args: RocArgs = {}): RocCurve {
  const { positives, negatives } = checkPairs(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  // One point per distinct score: cumulative counts of pairs with score ≥ that value.
  let fps: number[] = [];
  let tps: number[] = [];
  let thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    tp += labels[order[k]!]!;
    const s = scores[order[k]!]!;
    if (k === order.length - 1 || scores[order[k + 1]!]! !== s) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(s);
    }
  }
  if ((args.dropIntermediate ?? true) && fps.length > 2) {
    // Keep the ends and every point where the curve bends (a non-zero second difference).
    const keep = fps.map(
      (_, i) =>
        i === 0 ||
        i === fps.length - 1 ||
        fps[i - 1]! - 2 * fps[i]! + fps[i + 1]! !== 0 ||
        tps[i - 1]! - 2 * tps[i]! + tps[i + 1]! !== 0,
    );
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  return {
    fpr: [0, ...fps.map((v) => v / negatives)],
    tpr: [0, ...tps.map((v) => v / positives)],
    thresholds: [Number.POSITIVE_INFINITY, ...thresholds],
  };
}

/** Area under the ROC curve by the trapezoid rule (= roc_auc_score). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { fpr, tpr } = rocCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  return area;
}

export interface EqualErrorRate {
  /** The rate where FAR = FRR on the ROC curve, its points joined by straight lines. */
  eer: number;
  /** The threshold of the first ROC point at or past the crossing (FAR ≥ FRR there). */
  threshold: number;
}

/**
 * Equal error rate: walk the ROC curve until FRR − FAR changes sign, and interpolate linearly
 * on that segment (the same as solving 1 − x = TPR(x) on the piecewise-linear ROC, the usual
 * brentq/interp1d recipe it is checked against).
 */
export function equalErrorRate(scores: ArrayLike<number>, labels: ArrayLike<number>): EqualErrorRate {
  const { fpr, tpr, thresholds } = rocCurve(scores, labels, { dropIntermediate: false });
  const gap = (i: number) => 1 - tpr[i]! - fpr[i]!;
  let i = 1;
  while (gap(i) > 0) i++; // ends by the last point, where FAR = 1 and FRR = 0
  const t = gap(i - 1) / (gap(i - 1) - gap(i));
  return { eer: fpr[i - 1]! + t * (fpr[i]! - fpr[i - 1]!), threshold: thresholds[i]! };
}

export interface OperatingPoint {
  /** Decide "same" when score ≥ threshold. */
  threshold: number;
  /** FAR and TAR of this threshold on the pairs it was chosen on. */
  far: number;
  tar: number;
  /** Impostor pairs measured: FAR is known only in steps of 1/impostorCount. */
  impostorCount: number;
  genuineCount: number;
}

/**
 * The operating point with the highest TAR whose FAR is at most `targetFar`: the lowest
 * threshold that still keeps false accepts within the target, from actual scores (no
 * interpolation: every point returned is a threshold one can use). With fewer than
 * 1/targetFar impostor pairs the only such thresholds lie above every impostor score.
 */
export function operatingPointAtFar(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  targetFar: number,
): OperatingPoint {
  if (!(targetFar >= 0 && targetFar <= 1)) throw new RangeError(`The target FAR must lie in [0, 1]; got ${targetFar}.`);
  const { positives, negatives } = checkPairs(scores, labels);
  const { fpr, tpr, thresholds } = rocCurve(scores, labels, { dropIntermediate: false });
  let best = 0;
  for (let i = 1; i < fpr.length && fpr[i]! <= targetFar; i++) best = i;
  // Point 0 accepts nothing; give it a usable finite threshold just above the highest score.
  const threshold = best === 0 ? nextUp(thresholds[1]!) : thresholds[best]!;
  return { threshold, far: fpr[best]!, tar: tpr[best]!, impostorCount: negatives, genuineCount: positives };
}

/** TAR at FAR ≤ target (e.g. TAR@FAR=1%), the highest achievable, as operatingPointAtFar. */
export function tarAtFar(scores: ArrayLike<number>, labels: ArrayLike<number>, targetFar: number): number {
  return operatingPointAtFar(scores, labels, targetFar).tar;
}

/** FAR and TAR of a fixed threshold (e.g. one chosen on validation, applied to the test split). */
export function ratesAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { far: number; tar: number } {
  const { positives, negatives } = checkPairs(scores, labels);
  let falseAccepts = 0;
  let trueAccepts = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! < threshold) continue;
    if (labels[i] === 1) trueAccepts++;
    else falseAccepts++;
  }
  return { far: falseAccepts / negatives, tar: trueAccepts / positives };
}

/** The smallest double above x. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

export const DEFAULT_TARGET_FAR = 0.01;

export interface VerificationMetrics {
  auc: number;
  eer: number;
  eerThreshold: number;
  /** TAR at FAR ≤ targetFar on these pairs. */
  tarAtFar: number;
  targetFar: number;
  /** The ROC curve (straight segments merged) for plotting. */
  roc: RocCurve;
  genuineCount: number;
  impostorCount: number;
}

export function verificationMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  targetFar: number = DEFAULT_TARGET_FAR,
): VerificationMetrics {
  const eer = equalErrorRate(scores, labels);
  const point = operatingPointAtFar(scores, labels, targetFar);
  return {
    auc: rocAuc(scores, labels),
    eer: eer.eer,
    eerThreshold: eer.threshold,
    tarAtFar: point.tar,
    targetFar,
    roc: rocCurve(scores, labels),
    genuineCount: point.genuineCount,
    impostorCount: point.impostorCount,
  };
}
