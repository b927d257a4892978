/**
 * Training targets for the CenterNet head: for each object, a Gaussian peak of value 1 at its
 * centre cell in its class's heatmap, and at that cell its size and centre offset.
 *
 * Target layout [H, W, numClasses + 5]: the head's numClasses + 4 channels (centernet-head.ts),
 * then a mask channel, 1 at the cells that carry a size/offset target.
 */
import type { Box } from './boxes';

export interface DetectionObject {
  box: Box;
  classId: number;
}

export interface CenterNetGeometry {
  /** Input image width and height in pixels. */
  inputWidth: number;
  inputHeight: number;
  /** Input pixels per feature-map cell (the backbone's total downsampling). */
  stride: number;
  numClasses: number;
}

/** CenterNet's min_overlap: a box moved within the radius keeps IoU ≥ 0.7 with the truth. */
export const GAUSSIAN_MIN_OVERLAP = 0.7;

export function targetShape(g: CenterNetGeometry): [number, number, number] {
  return [Math.ceil(g.inputHeight / g.stride), Math.ceil(g.inputWidth / g.stride), g.numClasses + 5];
}

/**
 * CenterNet's gaussian_radius (src/lib/utils/image.py), kept as published: the smallest of the
 * three radii (both corners inside, both outside, one of each) at which a shifted box still has
 * IoU ≥ minOverlap. Its quadratics differ slightly from the CornerNet paper's derivation; the
 * released models were trained with this exact form, so it is kept rather than "fixed".
 */
export function gaussianRadius(height: number, width: number, minOverlap = GAUSSIAN_MIN_OVERLAP): number {
  const a1 = 1;
  const b1 = height + width;
  const c1 = (width * height * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2;
  const a2 = 4;
  const b2 = 2 * (height + width);
  const c2 = (1 - minOverlap) * width * height;
  const r2 = (b2 + Math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2;
  const a3 = 4 * minOverlap;
  const b3 = -2 * minOverlap * (height + width);
  const c3 = (minOverlap - 1) * width * height;
  const r3 = (b3 + Math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

/** Writes a Gaussian of the given integer radius at (cx, cy), keeping the max where peaks meet (draw_umich_gaussian). */
function drawGaussian(
  heatmap: Float32Array,
  shape: [number, number, number],
  channel: number,
  cx: number,
  cy: number,
  radius: number,
): void {
  const [h, w, depth] = shape;
  const sigma = (2 * radius + 1) / 6;
  for (let dy = -Math.min(cy, radius); dy <= Math.min(h - cy - 1, radius); dy++) {
    for (let dx = -Math.min(cx, radius); dx <= Math.min(w - cx - 1, radius); dx++) {
      let v = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      // gaussian2D zeroes values below machine epsilon × max, as CenterNet does.
      if (v < Number.EPSILON) v = 0;
      const at = ((cy + dy) * w + (cx + dx)) * depth + channel;
      if (v > heatmap[at]!) heatmap[at] = v;
    }
  }
}

/** Targets for one image; objects with an empty box or a class out of range throw. */
export function encodeCenterNetTargets(objects: readonly DetectionObject[], g: CenterNetGeometry): Float32Array {
  const shape = targetShape(g);
  const [h, w, depth] = shape;
  const out = new Float32Array(h * w * depth);
  const c = g.numClasses;
  for (const { box, classId } of objects) {
    if (!Number.isInteger(classId) || classId < 0 || classId >= c)
      throw new RangeError(`Class id ${classId} is outside 0…${c - 1}.`);
    const bw = (box[2] - box[0]) / g.stride;
    const bh = (box[3] - box[1]) / g.stride;
    if (!(bw > 0 && bh > 0)) continue; // an empty box marks nothing to find
    const cx = Math.min(Math.max((box[0] + box[2]) / 2 / g.stride, 0), w - 1e-6);
    const cy = Math.min(Math.max((box[1] + box[3]) / 2 / g.stride, 0), h - 1e-6);
    const ix = Math.floor(cx);
    const iy = Math.floor(cy);
    const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(bh), Math.ceil(bw))));
    drawGaussian(out, shape, classId, ix, iy, radius);
    const at = (iy * w + ix) * depth;
    out[at + c] = bw;
    out[at + c + 1] = bh;
    out[at + c + 2] = cx - ix;
    out[at + c + 3] = cy - iy;
    out[at + c + 4] = 1;
  }
  return out;
}
