/**
 * From a detector's raw candidates to the detections a user sees: score threshold, class-aware
 * (or class-agnostic) NMS or soft-NMS, then at most `maxDetections` per image.
 */
import { boxAt, boxCount, type Box, type BoxList } from './boxes';
import { batchedNms, nms, softNms, SOFT_NMS_DEFAULTS, type SoftNmsMethod } from './nms';

export interface Detection {
  /** [x1, y1, x2, y2] in pixels of the input image. */
  box: Box;
  score: number;
  classId: number;
}

export interface DetectionCandidates {
  boxes: BoxList;
  scores: ArrayLike<number>;
  classIds: ArrayLike<number>;
}

export type SuppressionMethod = 'nms' | `soft-${SoftNmsMethod}`;

export interface PostprocessArgs {
  /** Candidates scoring below this are dropped before suppression. Default 0.05 (torchvision's detectors). */
  scoreThreshold?: number;
  /** Hard NMS: suppress above this IoU. Soft-NMS 'linear': decay above it. Default 0.5. */
  iouThreshold?: number;
  /** 'nms' (default), 'soft-linear' or 'soft-gaussian'. */
  method?: SuppressionMethod;
  /** Soft-NMS 'gaussian' σ. Default 0.5. */
  sigma?: number;
  /** At most this many detections per image, best first. Default 100 (COCO's maxDets). */
  maxDetections?: number;
  /** When true, boxes of different classes suppress each other too. Default false. */
  classAgnostic?: boolean;
}

export const POSTPROCESS_DEFAULTS = {
  scoreThreshold: 0.05,
  iouThreshold: 0.5,
  method: 'nms',
  sigma: SOFT_NMS_DEFAULTS.sigma,
  maxDetections: 100,
  classAgnostic: false,
} as const satisfies Required<PostprocessArgs>;

export function postprocessDetections(candidates: DetectionCandidates, args: PostprocessArgs = {}): Detection[] {
  const o = { ...POSTPROCESS_DEFAULTS, ...args };
  const n = boxCount(candidates.boxes);
  if (candidates.scores.length !== n || candidates.classIds.length !== n) {
    throw new RangeError(
      `Candidates disagree: ${n} boxes, ${candidates.scores.length} scores, ${candidates.classIds.length} class ids.`,
    );
  }
  if (!(o.maxDetections >= 0)) throw new RangeError(`maxDetections must be 0 or more; got ${o.maxDetections}.`);
  const passing: number[] = [];
  for (let i = 0; i < n; i++) if (candidates.scores[i]! >= o.scoreThreshold) passing.push(i);
  const boxes = new Float32Array(passing.length * 4);
  passing.forEach((i, k) => boxes.set(boxAt(candidates.boxes, i), 4 * k));
  const scores = passing.map((i) => candidates.scores[i]!);
  const classIds = passing.map((i) => candidates.classIds[i]!);
  const perClass = o.classAgnostic ? undefined : classIds;

  let kept: { index: number; score: number }[];
  if (o.method === 'nms') {
    const indices = perClass ? batchedNms(boxes, scores, perClass, o.iouThreshold) : nms(boxes, scores, o.iouThreshold);
    kept = indices.map((index) => ({ index, score: scores[index]! }));
  } else {
    const soft = softNms(boxes, scores, {
      method: o.method === 'soft-linear' ? 'linear' : 'gaussian',
      iouThreshold: o.iouThreshold,
      sigma: o.sigma,
      // Decayed scores below the user's threshold would have been dropped had they started there.
      scoreThreshold: Math.max(o.scoreThreshold, SOFT_NMS_DEFAULTS.scoreThreshold),
      ...(perClass ? { classIds: perClass } : {}),
    });
    kept = soft.indices.map((index, k) => ({ index, score: soft.scores[k]! }));
    // Decay can reorder scores; a stable sort keeps the pick order among equals.
    kept.sort((a, b) => b.score - a.score);
  }
  return kept.slice(0, o.maxDetections).map(({ index, score }) => ({
    box: boxAt(boxes, index),
    score,
    classId: classIds[index]!,
  }));
}
