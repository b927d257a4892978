/**
 * Box geometry shared by the detector, NMS and the detection metrics.
 *
 * Convention (the same as torchvision.ops and COCO, once COCO's x,y,w,h is converted):
 *   a box is [x1, y1, x2, y2] in pixels of the image it belongs to, x to the right, y down;
 *   coordinates are continuous: pixel (i, j) covers [i, i + 1) × [j, j + 1), so a box around that
 *   one pixel is [i, j, i + 1, j + 1] and its area is (x2 - x1) * (y2 - y1) with no "+1".
 * A box with x2 <= x1 or y2 <= y1 has zero area; nothing here reorders its corners.
 * Bulk functions take flat arrays of 4 numbers per box (Float32Array from tensors, or plain arrays).
 */

export type Box = readonly [x1: number, y1: number, x2: number, y2: number];

/** Four numbers per box, [x1, y1, x2, y2, x1, y1, ...]. */
export type BoxList = ArrayLike<number>;

export function boxCount(boxes: BoxList): number {
  if (boxes.length % 4 !== 0) throw new RangeError(`A box list holds 4 numbers per box; got ${boxes.length} numbers.`);
  return boxes.length / 4;
}

export function boxAt(boxes: BoxList, i: number): Box {
  return [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
}

export function toBoxList(boxes: readonly Box[]): Float32Array {
  const out = new Float32Array(boxes.length * 4);
  boxes.forEach((b, i) => out.set(b, 4 * i));
  return out;
}

/** Area, zero for a degenerate box. */
export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

function intersection(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union; 0 when the union is empty (two zero-area boxes). */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Generalised IoU (Rezatofighi et al., CVPR 2019): IoU − |C \ (A ∪ B)| / |C|, C the smallest box
 * enclosing both. In [−1, 1]; 1 only for identical boxes. 0 when everything is degenerate.
 */
export function giou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  const enclosing = boxArea([Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
  if (enclosing <= 0) return 0;
  const iouValue = union > 0 ? inter / union : 0;
  return iouValue - (enclosing - union) / enclosing;
}

/** IoU of every box in `a` with every box in `b`, row-major [a.length × b.length]. */
export function iouMatrix(a: BoxList, b: BoxList): Float64Array {
  const n = boxCount(a);
  const m = boxCount(b);
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const bi = boxAt(a, i);
    for (let j = 0; j < m; j++) out[i * m + j] = iou(bi, boxAt(b, j));
  }
  return out;
}

/** Clips to the image [0, width] × [0, height]; a box wholly outside becomes zero-area. */
export function clipBox(b: Box, width: number, height: number): Box {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return [clamp(b[0], width), clamp(b[1], height), clamp(b[2], width), clamp(b[3], height)];
}

/** COCO's [x, y, width, height] (top-left corner) to [x1, y1, x2, y2]. */
export function fromXywh(x: number, y: number, w: number, h: number): Box {
  return [x, y, x + w, y + h];
}

export function toXywh(b: Box): [number, number, number, number] {
  return [b[0], b[1], b[2] - b[0], b[3] - b[1]];
}

/** Centre and size [cx, cy, w, h] to [x1, y1, x2, y2]. */
export function fromCenter(cx: number, cy: number, w: number, h: number): Box {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

export function toCenter(b: Box): [number, number, number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]];
}
