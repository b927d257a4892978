/**
 * The two halves of COCO's bbox evaluation, as pycocotools' COCOeval does them
 * (cocoapi/PythonAPI/pycocotools/cocoeval.py, evaluateImg and accumulate), step for step so the
 * numbers agree with it:
 *   - per image and class, detections sorted by score (stable), at most maxDet of them;
 *   - ground truths that are crowd, or whose area lies outside the area range, are "ignored":
 *     sorted last, matching one does not count as a true positive, and a crowd region may absorb
 *     any number of detections (its IoU is intersection over the detection's area);
 *   - greedy matching by score: each detection takes the unmatched ground truth with the highest
 *     IoU ≥ the threshold (a later ground truth wins an exact tie, as in COCOeval), preferring
 *     non-ignored ones; each ground truth is matched at most once;
 *   - unmatched detections outside the area range are ignored too;
 *   - precision is made monotone from the right, then read at 101 recall points 0, 0.01, …, 1
 *     (the first detection whose recall reaches the point; 0 past the highest recall).
 */
import { boxArea, type Box } from '../detection/boxes';

export interface EvalGroundTruth {
  box: Box;
  /** COCO's iscrowd: a region holding many objects; never a miss, absorbs detections. */
  crowd: boolean;
  /** Area used for the area ranges; COCO uses the segmentation area, boxes use w × h. */
  area: number;
}

export interface EvalDetection {
  box: Box;
  score: number;
}

/** One image × class × area range: what accumulate needs. */
export interface ImageMatches {
  /** Scores of the kept detections, highest first. */
  scores: number[];
  /** [threshold][detection]: matched to a ground truth. */
  matched: boolean[][];
  /** [threshold][detection]: left out of the count (matched an ignored ground truth, or out of range). */
  ignored: boolean[][];
  /** Non-ignored ground truths (the recall denominator's share of this image). */
  countedGroundTruths: number;
}

/** COCO's IoU: intersection over union, or over the detection's area for a crowd region. */
function cocoIou(d: Box, g: Box, crowd: boolean): number {
  const w = Math.min(d[2], g[2]) - Math.max(d[0], g[0]);
  const h = Math.min(d[3], g[3]) - Math.max(d[1], g[1]);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = crowd ? boxArea(d) : boxArea(d) + boxArea(g) - inter;
  return union > 0 ? inter / union : 0;
}

/** pycocotools' evaluateImg; null where the image has neither ground truths nor detections. */
export function matchImage(
  groundTruths: readonly EvalGroundTruth[],
  detections: readonly EvalDetection[],
  areaRange: readonly [number, number],
  maxDet: number,
  iouThresholds: readonly number[],
): ImageMatches | null {
  if (groundTruths.length === 0 && detections.length === 0) return null;
  const outOfRange = (area: number) => area < areaRange[0] || area > areaRange[1];
  const gts = groundTruths
    .map((g) => ({ ...g, ignore: g.crowd || outOfRange(g.area) }))
    .map((g, i) => ({ g, i }))
    .sort((a, b) => Number(a.g.ignore) - Number(b.g.ignore) || a.i - b.i)
    .map(({ g }) => g);
  const dts = detections
    .map((d, i) => ({ d, i }))
    .sort((a, b) => b.d.score - a.d.score || a.i - b.i)
    .slice(0, maxDet)
    .map(({ d }) => d);
  const ious = dts.map((d) => gts.map((g) => cocoIou(d.box, g.box, g.crowd)));
  const matched: boolean[][] = [];
  const ignored: boolean[][] = [];
  for (const t of iouThresholds) {
    const gtTaken = new Array<boolean>(gts.length).fill(false);
    const dtMatched = new Array<boolean>(dts.length).fill(false);
    const dtIgnored = new Array<boolean>(dts.length).fill(false);
    dts.forEach((d, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < gts.length; gi++) {
        if (gtTaken[gi] && !gts[gi]!.crowd) continue;
        // Once matched to a counted ground truth, ignored ones (sorted last) cannot win.
        if (m > -1 && !gts[m]!.ignore && gts[gi]!.ignore) break;
        if (ious[di]![gi]! < best) continue;
        best = ious[di]![gi]!;
        m = gi;
      }
      if (m === -1) {
        dtIgnored[di] = outOfRange(boxArea(d.box));
        return;
      }
      dtMatched[di] = true;
      dtIgnored[di] = gts[m]!.ignore;
      gtTaken[m] = true;
    });
    matched.push(dtMatched);
    ignored.push(dtIgnored);
  }
  return {
    scores: dts.map((d) => d.score),
    matched,
    ignored,
    countedGroundTruths: gts.filter((g) => !g.ignore).length,
  };
}

/** np.spacing(1): COCOeval adds it to the precision denominator. */
const EPS = 2.220446049250313e-16;

export interface AccumulatedCurve {
  /** [threshold][recall point]: interpolated precision; null when the class has no counted ground truth. */
  precision: number[][] | null;
  /** [threshold]: the highest recall reached. */
  recall: number[] | null;
}

/** pycocotools' accumulate for one class × area range × maxDet, over all images. */
export function accumulate(
  images: readonly (ImageMatches | null)[],
  maxDet: number,
  thresholdCount: number,
  recallPoints: readonly number[],
): AccumulatedCurve {
  const present = images.filter((m): m is ImageMatches => m !== null);
  const counted = present.reduce((s, m) => s + m.countedGroundTruths, 0);
  if (counted === 0) return { precision: null, recall: null };
  const entries: { score: number; image: ImageMatches; index: number }[] = [];
  for (const image of present) {
    image.scores.slice(0, maxDet).forEach((score, index) => entries.push({ score, image, index }));
  }
  // Stable, like np.argsort(kind='mergesort') over the concatenation in image order.
  entries.sort((a, b) => b.score - a.score);
  const precision: number[][] = [];
  const recall: number[] = [];
  for (let t = 0; t < thresholdCount; t++) {
    const rc: number[] = [];
    const pr: number[] = [];
    let tp = 0;
    let fp = 0;
    for (const e of entries) {
      if (e.image.ignored[t]![e.index]) {
        // Ignored detections add nothing but still hold a place in the cumulative arrays.
      } else if (e.image.matched[t]![e.index]) tp++;
      else fp++;
      rc.push(tp / counted);
      pr.push(tp / (fp + tp + EPS));
    }
    recall.push(rc.length ? rc[rc.length - 1]! : 0);
    for (let i = pr.length - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
    precision.push(
      recallPoints.map((r) => {
        const at = lowerBound(rc, r);
        return at < pr.length ? pr[at]! : 0;
      }),
    );
  }
  return { precision, recall };
}

/** np.searchsorted(sorted, value, side='left'). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
