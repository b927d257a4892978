/**
 * Classification metrics with scikit-learn's definitions (checked against it in tests):
 * confusion_matrix, accuracy_score, precision/recall/F1 per class with zero_division=0,
 * macro and support-weighted averages, one-vs-rest roc_curve (drop_intermediate=False) and
 * roc_auc_score (multi_class='ovr', average='macro').
 */
import type { ClassificationReport, SplitName } from '../../contract/index';

export function confusionMatrix(truth: readonly number[], predicted: readonly number[], classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => (matrix[t]![predicted[i]!]! += 1));
  return matrix;
}

/** x / y, or 0 when y is 0 (scikit-learn's zero_division=0). */
function ratio(x: number, y: number): number {
  return y === 0 ? 0 : x / y;
}

export interface PerClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export function perClassScores(matrix: readonly (readonly number[])[]): PerClassScores[] {
  const k = matrix.length;
  return matrix.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAsC = 0;
    for (let r = 0; r < k; r++) predictedAsC += matrix[r]![c]!;
    const precision = ratio(tp, predictedAsC);
    const recall = ratio(tp, support);
    // scikit-learn computes F1 from counts (2tp / (2tp + fp + fn)), not from the rounded ratios.
    const f1 = ratio(2 * tp, predictedAsC + support);
    return { precision, recall, f1, support };
  });
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/**
 * ROC of one binary problem, as scikit-learn's roc_curve(drop_intermediate=False) in 1.2:
 * one point per distinct score, descending, after a first point (0, 0) whose threshold is the
 * highest score + 1. Null when the positives or the negatives are missing.
 */
export function rocCurve(isPositive: readonly boolean[], scores: readonly number[]): RocCurve | null {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const positives = isPositive.filter(Boolean).length;
  const negatives = isPositive.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const fpr = [0];
  const tpr = [0];
  const thresholds = [scores[order[0]!]! + 1];
  let tp = 0;
  let fp = 0;
  order.forEach((index, rank) => {
    if (isPositive[index]) tp++;
    else fp++;
    const next = order[rank + 1];
    if (next === undefined || scores[next] !== scores[index]) {
      fpr.push(fp / negatives);
      tpr.push(tp / positives);
      thresholds.push(scores[index]!);
    }
  });
  return { fpr, tpr, thresholds };
}

/** Area under a curve by the trapezoid rule (scikit-learn's auc). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

export function argmax(values: ArrayLike<number>, offset = 0, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

/**
 * The full report for one split. `probabilities` holds one row of class probabilities per sample;
 * the predicted class is the row's argmax (ties: the lowest class, as numpy's argmax).
 */
export function classificationReport(
  truth: readonly number[],
  probabilities: readonly (readonly number[])[],
  classNames: readonly string[],
  split: SplitName,
): ClassificationReport {
  const k = classNames.length;
  const predicted = probabilities.map((row) => argmax(row));
  const matrix = confusionMatrix(truth, predicted, k);
  const scores = perClassScores(matrix);
  const count = truth.length;
  const correct = matrix.reduce((sum, row, c) => sum + row[c]!, 0);
  const perClass = scores.map((s, c) => {
    const roc = rocCurve(
      truth.map((t) => t === c),
      probabilities.map((row) => row[c]!),
    );
    return { className: classNames[c]!, ...s, rocAuc: roc ? trapezoidArea(roc.fpr, roc.tpr) : null, roc };
  });
  const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  const weightedMean = (pick: (s: PerClassScores) => number): number =>
    ratio(
      scores.reduce((sum, s) => sum + pick(s) * s.support, 0),
      count,
    );
  const aucs = perClass.map((c) => c.rocAuc);
  return {
    task: 'classification',
    split,
    count,
    accuracy: ratio(correct, count),
    confusionMatrix: matrix,
    perClass,
    macro: {
      precision: mean(scores.map((s) => s.precision)),
      recall: mean(scores.map((s) => s.recall)),
      f1: mean(scores.map((s) => s.f1)),
      // scikit-learn refuses a macro OvR AUC when a class lacks positives or negatives: null here.
      rocAuc: aucs.every((a) => a !== null) ? mean(aucs as number[]) : null,
    },
    weighted: {
      precision: weightedMean((s) => s.precision),
      recall: weightedMean((s) => s.recall),
      f1: weightedMean((s) => s.f1),
    },
  };
}
