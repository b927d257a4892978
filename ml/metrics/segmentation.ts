/**
 * Dice and IoU over a split, accumulated image by image.
 *
 * Per class, two numbers, each a convention of a reference:
 * - `dice` / `iou`: the mean over images of each image's score, as MONAI's DiceMetric and
 *   MeanIoU (reduction "mean_batch", ignore_empty=True). An image whose ground truth lacks the
 *   class is left out of that class's mean (its score would be undefined: 0/0 when the prediction
 *   is empty too, or 0 whatever the model does); a class absent from every image's ground truth
 *   gets null.
 * - `pooledDice` / `pooledIou`: every pixel of the split pooled, which equals scikit-learn's
 *   f1_score / jaccard_score(average=None) on the flattened masks; null (where scikit-learn
 *   reports 0 with a warning) when the class is in neither truth nor prediction anywhere.
 * `meanDice` / `meanIou` average the foreground classes' `dice` / `iou`, skipping nulls.
 */
import type { SegmentationReport, SplitName } from '../../contract/index';

interface ClassTotals {
  tp: number;
  fp: number;
  fn: number;
  diceSum: number;
  iouSum: number;
  images: number;
}

export interface ImageScores {
  /** Per class: Dice, or null when the ground truth lacks the class. */
  dice: (number | null)[];
  iou: (number | null)[];
}

export class SegmentationMetrics {
  private readonly totals: ClassTotals[];
  private imageCount = 0;
  private correctPixels = 0;
  private pixels = 0;

  constructor(private readonly classNames: readonly string[]) {
    this.totals = classNames.map(() => ({ tp: 0, fp: 0, fn: 0, diceSum: 0, iouSum: 0, images: 0 }));
  }

  /** Adds one image's truth and predicted class maps (same length); returns its scores. */
  add(truth: Uint8Array, predicted: Uint8Array): ImageScores {
    const k = this.classNames.length;
    const tp = new Array<number>(k).fill(0);
    const truthCount = new Array<number>(k).fill(0);
    const predCount = new Array<number>(k).fill(0);
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      const p = predicted[i]!;
      truthCount[t]! += 1;
      predCount[p]! += 1;
      if (t === p) tp[t]! += 1;
    }
    const scores: ImageScores = { dice: [], iou: [] };
    for (let c = 0; c < k; c++) {
      const totals = this.totals[c]!;
      const fp = predCount[c]! - tp[c]!;
      const fn = truthCount[c]! - tp[c]!;
      totals.tp += tp[c]!;
      totals.fp += fp;
      totals.fn += fn;
      if (truthCount[c] === 0) {
        scores.dice.push(null);
        scores.iou.push(null);
        continue;
      }
      const dice = (2 * tp[c]!) / (2 * tp[c]! + fp + fn);
      const iou = tp[c]! / (tp[c]! + fp + fn);
      totals.diceSum += dice;
      totals.iouSum += iou;
      totals.images += 1;
      scores.dice.push(dice);
      scores.iou.push(iou);
    }
    this.correctPixels += tp.reduce((a, b) => a + b, 0);
    this.pixels += truth.length;
    this.imageCount += 1;
    return scores;
  }

  report(split: SplitName): SegmentationReport {
    const perClass = this.totals.map((t, c) => {
      const pooled = 2 * t.tp + t.fp + t.fn;
      return {
        className: this.classNames[c]!,
        dice: t.images ? t.diceSum / t.images : null,
        iou: t.images ? t.iouSum / t.images : null,
        images: t.images,
        pooledDice: pooled ? (2 * t.tp) / pooled : null,
        pooledIou: pooled ? t.tp / (t.tp + t.fp + t.fn) : null,
      };
    });
    const foreground = perClass.slice(1);
    const meanOf = (values: (number | null)[]): number | null => {
      const present = values.filter((v): v is number => v !== null);
      return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
    };
    return {
      task: 'segmentation',
      split,
      count: this.imageCount,
      perClass,
      meanDice: meanOf(foreground.map((c) => c.dice)),
      meanIou: meanOf(foreground.map((c) => c.iou)),
      pixelAccuracy: this.pixels ? this.correctPixels / this.pixels : 0,
    };
  }
}
