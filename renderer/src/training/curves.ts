/**
 * The numbers the Train section draws, from run records and progress: epoch curves, a live
 * running-loss curve, precision–recall curves (from the report's ROC points), confusion shares.
 */
import type {
  ClassificationReport,
  DetectionReport,
  EpochRecord,
  RunRecord,
  TrainingProgress,
  VerificationReport,
} from '../../../contract/index';

export type Point = [number, number];

export interface Curve {
  name: string;
  points: Point[];
  /** Dots at the points; default the chart's choice (a live, dense curve is drawn without). */
  symbols?: boolean;
}

/** One point marked and labelled on a chart (an operating point, the EER point). */
export interface ChartMark {
  name: string;
  x: number;
  y: number;
}

/**
 * The metric a task's curves show beside the loss, higher is better: the validation metric's key
 * and label, and the label of the running training metric the engine reports for that kind.
 */
export function validationMetricOf(task: RunRecord['task']): { key: string; label: string; trainLabel: string } {
  switch (task) {
    case 'segmentation':
      return { key: 'val_dice', label: 'Dice', trainLabel: 'Dice' };
    case 'detection':
      return { key: 'val_map50', label: 'mAP@0.5', trainLabel: 'centre recall' };
    case 'verification':
      return { key: 'val_auc', label: 'pair AUC', trainLabel: 'pair AUC' };
    default:
      return { key: 'val_accuracy', label: 'accuracy', trainLabel: 'accuracy' };
  }
}

/** Loss curves (train, val) and metric curves (train, val) over epochs, epochs counted from 1. */
export function epochCurves(
  epochs: readonly EpochRecord[],
  task: RunRecord['task'],
): { loss: Curve[]; metric: Curve[] } {
  const metric = validationMetricOf(task);
  const val = (key: string): Point[] =>
    epochs.filter((e) => e.validation[key] !== undefined).map((e) => [e.epoch + 1, e.validation[key]!]);
  return {
    loss: [
      { name: 'train loss', points: epochs.map((e) => [e.epoch + 1, e.trainLoss]) },
      { name: 'val loss', points: val('val_loss') },
    ],
    metric: [
      {
        name: `train ${metric.trainLabel}`,
        points: epochs.flatMap((e): Point[] => (e.trainMetric === null ? [] : [[e.epoch + 1, e.trainMetric]])),
      },
      { name: `val ${metric.label}`, points: val(metric.key) },
      // A pruning run's share of zeros, on the metric's 0–1 axis: the accuracy/sparsity trade-off.
      ...(epochs.some((e) => e.sparsity !== undefined)
        ? [
            {
              name: 'sparsity',
              points: epochs.flatMap((e): Point[] => (e.sparsity === undefined ? [] : [[e.epoch + 1, e.sparsity]])),
            },
          ]
        : []),
    ],
  };
}

/** Where a batch's running loss sits on the epoch axis: epoch 3, batch 5 of 10 → 2.5 (epochs from 1, ends at 3). */
export function batchPosition(progress: TrainingProgress): number {
  return progress.epoch + (progress.batch + 1) / Math.max(1, progress.batches);
}

/**
 * A precision–recall curve from a one-vs-rest ROC curve: at each threshold TP = tpr·P and
 * FP = fpr·N, so precision = TP / (TP + FP) and recall = tpr (thresholds with nothing predicted
 * positive have no precision and are left out).
 */
export function precisionRecall(roc: { fpr: number[]; tpr: number[] }, positives: number, negatives: number): Point[] {
  const points: Point[] = [];
  roc.tpr.forEach((tpr, i) => {
    const tp = tpr * positives;
    const fp = roc.fpr[i]! * negatives;
    if (tp + fp > 0) points.push([tpr, tp / (tp + fp)]);
  });
  return points;
}

/** Per class of a report: its ROC points (fpr, tpr) and PR points (recall, precision). */
export function classCurves(report: ClassificationReport): { roc: Curve[]; pr: Curve[] } {
  const roc: Curve[] = [];
  const pr: Curve[] = [];
  for (const c of report.perClass) {
    if (!c.roc) continue;
    roc.push({ name: c.className, points: c.roc.fpr.map((f, i) => [f, c.roc!.tpr[i]!]) });
    pr.push({ name: c.className, points: precisionRecall(c.roc, c.support, report.count - c.support) });
  }
  return { roc, pr };
}

/** Each row of a confusion matrix as shares of its true class (0 for an empty row). */
export function rowShares(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total ? v / total : 0));
  });
}

/** COCO's 101 recall points of a detection report's interpolated precision curves. */
export function detectionPrecisionCurves(report: DetectionReport): Curve[] {
  return report.perClass.flatMap((c) =>
    c.precisionCurve50
      ? [
          {
            name: c.className,
            points: c.precisionCurve50.map((p, i): Point => [i / (c.precisionCurve50!.length - 1), p]),
          },
        ]
      : [],
  );
}

/** Where FAR = FRR on a verification ROC: (FAR, TAR) = (EER, 1 − EER); null when it could not be measured. */
export function eerPoint(report: VerificationReport): ChartMark | null {
  return report.eer === null ? null : { name: `EER ${report.eer.toFixed(3)}`, x: report.eer, y: 1 - report.eer };
}

/**
 * FAR and TAR of deciding "same" at score ≥ threshold, read off a ROC curve (thresholds
 * decreasing, as scikit-learn's roc_curve): the point of the lowest listed threshold still ≥ it.
 * Where the curve was thinned (roc_curve's drop_intermediate), the exact point lies on the segment
 * from there to the next point, so the values are bounds, not exact, between listed thresholds.
 */
export function rocPointAtThreshold(
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] },
  threshold: number,
): { far: number; tar: number; exact: boolean } {
  let index = 0;
  for (let i = 0; i < roc.thresholds.length; i++) if (roc.thresholds[i]! >= threshold) index = i;
  return {
    far: roc.fpr[index]!,
    tar: roc.tpr[index]!,
    exact: roc.thresholds[index] === threshold || index === roc.thresholds.length - 1,
  };
}
