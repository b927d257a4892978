/**
 * Mask → polygon, for formats that store polygons (YOLO segmentation). The outline follows pixel
 * edges, so rasterising the polygon with polygon.ts's even-odd, pixel-centre rule gives back the
 * same pixels exactly, holes included.
 *
 * How: every edge between a pixel of the label and one that is not becomes a boundary segment;
 * the segments are chained into closed loops. Even-odd parity at a pixel centre depends only on
 * which segments a ray crosses, not on how they are chained, so the loops are then joined into
 * one polygon by "bridges" from the first loop's start to each other loop and back: a bridge is
 * crossed twice by any ray and so changes no pixel.
 */
import type { LabelMask } from './spans';

/** One polygon (flat `[x, y, …]`, pixel-corner coordinates) covering every pixel of `label`; null when there are none. */
export function labelOutline(mask: LabelMask, label: number): number[] | null {
  const loops = boundaryLoops(mask, label);
  if (loops.length === 0) return null;
  const first = loops[0]!;
  const out = [...first];
  const sx = first[0]!;
  const sy = first[1]!;
  for (let k = 1; k < loops.length; k++) {
    const loop = loops[k]!;
    // Back at the start, walk the loop, return to its start, then bridge back.
    out.push(sx, sy, ...loop, loop[0]!, loop[1]!, sx, sy);
  }
  return out;
}

/** Closed loops (flat coordinates, corners only) of the boundary between `label` and the rest. */
export function boundaryLoops(mask: LabelMask, label: number): number[][] {
  const { width, height, data } = mask;
  const stride = width + 1;
  // Directed unit edges keyed by start vertex, oriented with the label on the right (clockwise in
  // y-down image coordinates): top edges go east, right edges south, bottom west, left north.
  const next = new Map<number, number[]>();
  const add = (x0: number, y0: number, x1: number, y1: number): void => {
    const from = y0 * stride + x0;
    const list = next.get(from);
    const to = y1 * stride + x1;
    if (list) list.push(to);
    else next.set(from, [to]);
  };
  const on = (x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x < width && y < height && data[y * width + x] === label;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!on(x, y)) continue;
      if (!on(x, y - 1)) add(x, y, x + 1, y);
      if (!on(x + 1, y)) add(x + 1, y, x + 1, y + 1);
      if (!on(x, y + 1)) add(x + 1, y + 1, x, y + 1);
      if (!on(x - 1, y)) add(x, y + 1, x, y);
    }
  }
  const loops: number[][] = [];
  for (const start of next.keys()) {
    while ((next.get(start)?.length ?? 0) > 0) {
      const vertices: number[] = [start];
      let at = start;
      for (;;) {
        const list = next.get(at)!;
        const to = list.pop()!;
        if (list.length === 0) next.delete(at);
        if (to === start) break;
        vertices.push(to);
        at = to;
        if (!next.has(at)) break;
      }
      loops.push(simplify(vertices, stride));
    }
  }
  return loops;
}

/** Drops vertices in the middle of straight runs; returns flat coordinates. */
function simplify(vertices: number[], stride: number): number[] {
  const n = vertices.length;
  const xy = (k: number): [number, number] => {
    const v = vertices[((k % n) + n) % n]!;
    return [v % stride, Math.floor(v / stride)];
  };
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const [px, py] = xy(k - 1);
    const [x, y] = xy(k);
    const [nx, ny] = xy(k + 1);
    const straight = (x - px) * (ny - y) - (y - py) * (nx - x) === 0 && (x - px) * (nx - x) + (y - py) * (ny - y) > 0;
    if (!straight) out.push(x, y);
  }
  return out;
}

/** Bounding box of a label in a mask (pixel edges), or null when it is absent. */
export function labelBounds(mask: LabelMask, label: number): { x1: number; y1: number; x2: number; y2: number } | null {
  const { width, height, data } = mask;
  let x1 = width,
    y1 = height,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (data[row + x] !== label) continue;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      y2 = y;
    }
  }
  return x2 < 0 ? null : { x1, y1, x2: x2 + 1, y2: y2 + 1 };
}
