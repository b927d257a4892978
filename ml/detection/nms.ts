/**
 * Non-maximum suppression, hard and soft. Boxes are [x1, y1, x2, y2] in pixels (see boxes.ts).
 *
 * `nms` reproduces torchvision.ops.nms (torchvision/csrc/ops/cpu/nms_kernel.cpp) exactly, so that
 * a model exported from Loupe and post-processed by torchvision keeps the same boxes:
 *   - boxes are visited in order of score, highest first, by a STABLE sort: equal scores keep
 *     their input order (checked against torchvision on ties in nms.reference.test.ts);
 *   - areas and overlaps are computed in float32, like torchvision on float32 tensors;
 *   - a box is suppressed when IoU > threshold (strictly greater);
 *   - the IoU of two zero-area boxes is 0/0 = NaN, which suppresses nothing.
 * The result is the kept indices, highest score first.
 */
import { boxCount, type BoxList } from './boxes';

const f32 = Math.fround;

/** Indices 0..n-1 sorted by score, highest first; ties keep index order. */
export function orderByScore(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`Score ${i} is NaN; NMS needs a number for every box.`);
  }
  // Array.prototype.sort is stable (ES2019), so ties keep their input order.
  return order.sort((a, b) => scores[b]! - scores[a]!);
}

function checkInputs(boxes: BoxList, scores: ArrayLike<number>, iouThreshold: number): number {
  const n = boxCount(boxes);
  if (scores.length !== n) throw new RangeError(`NMS got ${n} boxes but ${scores.length} scores.`);
  if (!(iouThreshold >= 0 && iouThreshold <= 1))
    throw new RangeError(`The IoU threshold must lie in [0, 1]; got ${iouThreshold}.`);
  return n;
}

/**
 * Hard NMS over boxes that may belong to different classes. With `classIds`, a box only suppresses
 * boxes of its own class (torchvision.ops.batched_nms); without, every box competes.
 */
function suppress(
  boxes: BoxList,
  scores: ArrayLike<number>,
  iouThreshold: number,
  classIds?: ArrayLike<number>,
): number[] {
  const n = checkInputs(boxes, scores, iouThreshold);
  if (classIds && classIds.length !== n) throw new RangeError(`NMS got ${n} boxes but ${classIds.length} class ids.`);
  const b = Float32Array.from(boxes as ArrayLike<number>);
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) areas[i] = f32(f32(b[4 * i + 2]! - b[4 * i]!) * f32(b[4 * i + 3]! - b[4 * i + 1]!));
  const order = orderByScore(scores);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = b[4 * i]!;
    const iy1 = b[4 * i + 1]!;
    const ix2 = b[4 * i + 2]!;
    const iy2 = b[4 * i + 3]!;
    const iarea = areas[i]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j] || (classIds && classIds[j] !== classIds[i])) continue;
      const w = Math.max(0, f32(Math.min(ix2, b[4 * j + 2]!) - Math.max(ix1, b[4 * j]!)));
      const h = Math.max(0, f32(Math.min(iy2, b[4 * j + 3]!) - Math.max(iy1, b[4 * j + 1]!)));
      const inter = f32(w * h);
      const overlap = f32(inter / f32(f32(iarea + areas[j]!) - inter));
      if (overlap > iouThreshold) suppressed[j] = 1;
    }
  }
  return keep;
}

/** torchvision.ops.nms: indices of the boxes kept, highest score first. */
export function nms(boxes: BoxList, scores: ArrayLike<number>, iouThreshold: number): number[] {
  return suppress(boxes, scores, iouThreshold);
}

/**
 * torchvision.ops.batched_nms: NMS within each class. Kept indices, highest score first, ties in
 * input order (torchvision's own order for small inputs, where it offsets boxes per class).
 */
export function batchedNms(
  boxes: BoxList,
  scores: ArrayLike<number>,
  classIds: ArrayLike<number>,
  iouThreshold: number,
): number[] {
  return suppress(boxes, scores, iouThreshold, classIds);
}

export type SoftNmsMethod = 'linear' | 'gaussian';

export interface SoftNmsArgs {
  /** 'linear' (score × (1 − IoU) above the IoU threshold) or 'gaussian' (score × exp(−IoU²/σ)). */
  method: SoftNmsMethod;
  /** Linear only: overlaps at or below this leave a score untouched. Default 0.3 (Bodla et al. 2017). */
  iouThreshold?: number;
  /** Gaussian only: σ. Default 0.5 (Bodla et al. 2017). */
  sigma?: number;
  /** Boxes whose decayed score falls below this are dropped. Default 0.001 (the paper's code). */
  scoreThreshold?: number;
  /** With class ids, boxes only decay boxes of their own class. */
  classIds?: ArrayLike<number>;
}

export const SOFT_NMS_DEFAULTS = { iouThreshold: 0.3, sigma: 0.5, scoreThreshold: 0.001 } as const;

/**
 * Soft-NMS (Bodla et al., "Improving Object Detection With One Line of Code", ICCV 2017): instead
 * of removing overlapping boxes, lowers their scores. Repeatedly takes the remaining box with the
 * highest (decayed) score, ties to the lower index, and decays the others by their IoU with it.
 * Returns the kept indices with their decayed scores, in the order they were taken.
 */
export function softNms(
  boxes: BoxList,
  scores: ArrayLike<number>,
  args: SoftNmsArgs,
): { indices: number[]; scores: number[] } {
  const iouThreshold = args.iouThreshold ?? SOFT_NMS_DEFAULTS.iouThreshold;
  const sigma = args.sigma ?? SOFT_NMS_DEFAULTS.sigma;
  const scoreThreshold = args.scoreThreshold ?? SOFT_NMS_DEFAULTS.scoreThreshold;
  const n = checkInputs(boxes, scores, iouThreshold);
  if (!(sigma > 0)) throw new RangeError(`Soft-NMS σ must be positive; got ${sigma}.`);
  orderByScore(scores); // rejects NaN scores with a clear message
  const current = Float64Array.from(scores as ArrayLike<number>);
  const alive = new Uint8Array(n).fill(1);
  const areas = new Float64Array(n);
  for (let i = 0; i < n; i++)
    areas[i] = Math.max(0, boxes[4 * i + 2]! - boxes[4 * i]!) * Math.max(0, boxes[4 * i + 3]! - boxes[4 * i + 1]!);
  const indices: number[] = [];
  const kept: number[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < n; i++) if (alive[i] && (best < 0 || current[i]! > current[best]!)) best = i;
    if (best < 0 || current[best]! < scoreThreshold) break;
    alive[best] = 0;
    indices.push(best);
    kept.push(current[best]!);
    for (let j = 0; j < n; j++) {
      if (!alive[j] || (args.classIds && args.classIds[j] !== args.classIds[best])) continue;
      const w = Math.min(boxes[4 * best + 2]!, boxes[4 * j + 2]!) - Math.max(boxes[4 * best]!, boxes[4 * j]!);
      const h = Math.min(boxes[4 * best + 3]!, boxes[4 * j + 3]!) - Math.max(boxes[4 * best + 1]!, boxes[4 * j + 1]!);
      const inter = w > 0 && h > 0 ? w * h : 0;
      const union = areas[best]! + areas[j]! - inter;
      const overlap = union > 0 ? inter / union : 0;
      if (args.method === 'linear') {
        if (overlap > iouThreshold) current[j] = current[j]! * (1 - overlap);
      } else {
        current[j] = current[j]! * Math.exp(-(overlap * overlap) / sigma);
      }
      if (current[j]! < scoreThreshold) alive[j] = 0;
    }
  }
  return { indices, scores: kept };
}
