/**
 * Detection metrics with COCO's rules (see detection-matching.ts for the matching itself):
 * mAP@[.5:.95], mAP@.5, mAP@.75, per-class AP, AP and AR by object size, and precision/recall at
 * the score threshold the user will run the detector with.
 *
 * Definitions, all as pycocotools' COCOeval.summarize reports them:
 *   - AP for one class at one IoU threshold: mean of the interpolated precision at the 101 recall
 *     points; a class without counted ground truth has no AP and is left out of every mean.
 *   - mAP: mean over classes (and over the 10 IoU thresholds 0.50:0.05:0.95 for mAP@[.5:.95]).
 *   - area ranges small < 32², medium 32²–96², large > 96² pixels² (bounds inclusive, as COCO).
 *   - maxDets limits detections per image AND class, as COCOeval does with its category split.
 * Boxes are [x1, y1, x2, y2] in pixels (ml/detection/boxes.ts).
 */
import { boxArea, type Box } from '../detection/boxes';
import { accumulate, matchImage, type AccumulatedCurve, type ImageMatches } from './detection-matching';

export interface GroundTruthBox {
  box: Box;
  classId: number;
  /** COCO's iscrowd. Default false. */
  crowd?: boolean;
  /** Area for the size ranges; default the box's area. */
  area?: number;
}

export interface ScoredBox {
  box: Box;
  classId: number;
  score: number;
}

export interface DetectionEvalImage {
  groundTruth: readonly GroundTruthBox[];
  detections: readonly ScoredBox[];
}

/**
 * np.linspace(start, stop, n) bit for bit (i × step + start, the last point exactly stop): an IoU
 * or recall landing exactly on a threshold must compare the same way as in COCOeval.
 */
function linspace(start: number, stop: number, n: number): number[] {
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : i * step + start));
}

/** COCO's IoU thresholds 0.50, 0.55, …, 0.95. */
export const COCO_IOU_THRESHOLDS: readonly number[] = linspace(0.5, 0.95, 10);
/** COCO's 101 recall points 0, 0.01, …, 1. */
export const COCO_RECALL_POINTS: readonly number[] = linspace(0, 1, 101);
/** COCO's area ranges in pixels². */
export const COCO_AREA_RANGES = {
  all: [0, 1e10],
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, 1e10],
} as const satisfies Record<string, readonly [number, number]>;
export const COCO_MAX_DETS = [1, 10, 100] as const;

export interface DetectionEvalArgs {
  /** Classes to evaluate (ids). Default: every class id seen in ground truth or detections. */
  classIds?: readonly number[];
  /** Detections per image and class kept for AP. Default 100 (COCO's last maxDets). */
  maxDetections?: number;
  /** Score threshold for the precision/recall summary. Default 0.5. */
  scoreThreshold?: number;
}

export interface ClassDetectionMetrics {
  classId: number;
  /** AP@[.5:.95]; null when the class has no counted ground truth. */
  ap: number | null;
  ap50: number | null;
  ap75: number | null;
  /** Interpolated precision at the 101 recall points, IoU 0.5 (a PR curve for the UI). */
  precisionCurve50: number[] | null;
  groundTruthCount: number;
}

export interface PrecisionRecallAtThreshold {
  scoreThreshold: number;
  /** IoU for a match: 0.5. */
  iouThreshold: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP); null when nothing scored above the threshold. */
  precision: number | null;
  /** TP / counted ground truths; null when there are none. */
  recall: number | null;
}

export interface DetectionMetrics {
  /** COCO "AP" (AP@[.5:.95], all areas, maxDets 100); null when nothing could be measured. */
  mAP: number | null;
  mAP50: number | null;
  mAP75: number | null;
  mAPSmall: number | null;
  mAPMedium: number | null;
  mAPLarge: number | null;
  /** COCO AR@1, AR@10, AR@100 (mean highest recall over thresholds and classes). */
  ar1: number | null;
  ar10: number | null;
  ar100: number | null;
  perClass: ClassDetectionMetrics[];
  atThreshold: PrecisionRecallAtThreshold;
}

export const DETECTION_EVAL_DEFAULTS = { maxDetections: 100, scoreThreshold: 0.5 } as const;

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((s, v) => s + v, 0) / present.length : null;
}

function meanOf(rows: readonly number[]): number {
  return rows.reduce((s, v) => s + v, 0) / rows.length;
}

export function evaluateDetections(
  images: readonly DetectionEvalImage[],
  args: DetectionEvalArgs = {},
): DetectionMetrics {
  const maxDet = args.maxDetections ?? DETECTION_EVAL_DEFAULTS.maxDetections;
  const scoreThreshold = args.scoreThreshold ?? DETECTION_EVAL_DEFAULTS.scoreThreshold;
  const classIds =
    args.classIds ??
    [...new Set(images.flatMap((im) => [...im.groundTruth, ...im.detections].map((b) => b.classId)))].sort(
      (a, b) => a - b,
    );
  const maxDets = [...new Set([...COCO_MAX_DETS.filter((m) => m < maxDet), maxDet])];
  const T = COCO_IOU_THRESHOLDS.length;

  const curves = new Map<string, AccumulatedCurve>();
  const curve = (classId: number, area: keyof typeof COCO_AREA_RANGES, m: number) =>
    curves.get(`${classId}/${area}/${m}`)!;
  const matchesAll = new Map<number, (ImageMatches | null)[]>();
  for (const classId of classIds) {
    const perImage = images.map((im) => ({
      gts: im.groundTruth
        .filter((g) => g.classId === classId)
        .map((g) => ({ box: g.box, crowd: g.crowd ?? false, area: g.area ?? boxArea(g.box) })),
      dts: im.detections.filter((d) => d.classId === classId),
    }));
    for (const area of Object.keys(COCO_AREA_RANGES) as (keyof typeof COCO_AREA_RANGES)[]) {
      const matches = perImage.map(({ gts, dts }) =>
        matchImage(gts, dts, COCO_AREA_RANGES[area], maxDet, COCO_IOU_THRESHOLDS),
      );
      if (area === 'all') matchesAll.set(classId, matches);
      for (const m of maxDets) curves.set(`${classId}/${area}/${m}`, accumulate(matches, m, T, COCO_RECALL_POINTS));
    }
  }

  const apOf = (c: AccumulatedCurve, t?: number) =>
    c.precision ? (t === undefined ? meanOf(c.precision.map(meanOf)) : meanOf(c.precision[t]!)) : null;
  const t75 = COCO_IOU_THRESHOLDS.findIndex((t) => Math.abs(t - 0.75) < 1e-9);
  const perClass: ClassDetectionMetrics[] = classIds.map((classId) => {
    const c = curve(classId, 'all', maxDet);
    return {
      classId,
      ap: apOf(c),
      ap50: apOf(c, 0),
      ap75: apOf(c, t75),
      precisionCurve50: c.precision ? c.precision[0]! : null,
      groundTruthCount: images.reduce(
        (s, im) => s + im.groundTruth.filter((g) => g.classId === classId && !g.crowd).length,
        0,
      ),
    };
  });
  const arOf = (m: number) => mean(classIds.map((k) => curve(k, 'all', m).recall).flatMap((r) => r ?? [null]));
  return {
    mAP: mean(perClass.map((c) => c.ap)),
    mAP50: mean(perClass.map((c) => c.ap50)),
    mAP75: mean(perClass.map((c) => c.ap75)),
    mAPSmall: mean(classIds.map((k) => apOf(curve(k, 'small', maxDet)))),
    mAPMedium: mean(classIds.map((k) => apOf(curve(k, 'medium', maxDet)))),
    mAPLarge: mean(classIds.map((k) => apOf(curve(k, 'large', maxDet)))),
    ar1: maxDets.includes(1) ? arOf(1) : null,
    ar10: maxDets.includes(10) ? arOf(10) : null,
    ar100: arOf(maxDet),
    perClass,
    atThreshold: countAtThreshold([...matchesAll.values()].flat(), scoreThreshold),
  };
}

/** Counts at IoU 0.5 over all classes, from the same greedy matches the AP uses. */
function countAtThreshold(
  matches: readonly (ImageMatches | null)[],
  scoreThreshold: number,
): PrecisionRecallAtThreshold {
  let tp = 0;
  let fp = 0;
  let counted = 0;
  for (const m of matches) {
    if (!m) continue;
    counted += m.countedGroundTruths;
    m.scores.forEach((score, i) => {
      if (score < scoreThreshold || m.ignored[0]![i]) return;
      if (m.matched[0]![i]) tp++;
      else fp++;
    });
  }
  return {
    scoreThreshold,
    iouThreshold: COCO_IOU_THRESHOLDS[0]!,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: counted - tp,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: counted > 0 ? tp / counted : null,
  };
}
