/**
 * Brush and eraser stamping at source resolution. A stroke between two pointer samples is the
 * capsule swept by a round brush of radius r (a disc dragged along the segment), so fast strokes
 * leave no gaps however far apart the samples are. A pixel is painted when its centre is within
 * r of the segment. The eraser is the same shape written with label 0.
 */
import { SpanBuilder, type Spans } from './spans';

export interface Point {
  x: number;
  y: number;
}

/** Smallest brush radius, in source pixels: a radius-0.5 dab paints exactly the pixel under it. */
export const MIN_BRUSH_RADIUS = 0.5;

/** Spans of the capsule from a to b with radius r (a single dab when a equals b). */
export function capsuleSpans(a: Point, b: Point, radius: number, width: number, height: number): Spans {
  const r = Math.max(MIN_BRUSH_RADIUS, radius);
  const builder = new SpanBuilder();
  const top = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + r));
  for (let y = top; y <= bottom; y++) {
    const range = capsuleRowRange(a, b, r, y + 0.5);
    if (!range) continue;
    // Centres x + 0.5 in [lo, hi] (closed: the brush edge belongs to the brush).
    const x0 = Math.max(0, Math.ceil(range[0] - 0.5));
    const x1 = Math.min(width, Math.floor(range[1] - 0.5) + 1);
    builder.push(y, x0, x1);
  }
  return builder.build();
}

/**
 * The x interval of a capsule at height yc. A capsule is convex, so each row meets it in one
 * interval: the union of the two end discs' chords and the band's chord.
 */
function capsuleRowRange(a: Point, b: Point, r: number, yc: number): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of [a, b]) {
    const dy = yc - p.y;
    if (Math.abs(dy) <= r) {
      const half = Math.sqrt(r * r - dy * dy);
      lo = Math.min(lo, p.x - half);
      hi = Math.max(hi, p.x + half);
    }
  }
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy);
  if (length > 0 && dy !== 0) {
    // The band is the points whose projection falls inside the segment and whose distance to the
    // line is ≤ r: intersect the row with the two offset lines and the two end perpendiculars.
    const nx = -dy / length;
    const ny = dx / length;
    // Points p on row yc: p = (x, yc). Conditions: |(p - a)·n| ≤ r and 0 ≤ (p - a)·u ≤ length.
    const ux = dx / length;
    const uy = dy / length;
    let bandLo = -Infinity;
    let bandHi = Infinity;
    const clamp = (coef: number, offset: number, min: number, max: number): boolean => {
      // min ≤ coef * x + offset ≤ max
      if (coef === 0) return offset >= min && offset <= max;
      let l = (min - offset) / coef;
      let h = (max - offset) / coef;
      if (l > h) [l, h] = [h, l];
      bandLo = Math.max(bandLo, l);
      bandHi = Math.min(bandHi, h);
      return true;
    };
    const ok = clamp(nx, (yc - a.y) * ny - a.x * nx, -r, r) && clamp(ux, (yc - a.y) * uy - a.x * ux, 0, length);
    if (ok && bandLo <= bandHi) {
      lo = Math.min(lo, bandLo);
      hi = Math.max(hi, bandHi);
    }
  } else if (length > 0 && Math.abs(yc - a.y) <= r) {
    // A horizontal segment: the band spans between the two end points.
    lo = Math.min(lo, Math.min(a.x, b.x));
    hi = Math.max(hi, Math.max(a.x, b.x));
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Spans of a whole stroke through the pointer samples (may overlap between segments). */
export function strokeSpans(points: readonly Point[], radius: number, width: number, height: number): Spans[] {
  if (points.length === 0) return [];
  if (points.length === 1) return [capsuleSpans(points[0]!, points[0]!, radius, width, height)];
  const out: Spans[] = [];
  for (let i = 1; i < points.length; i++) out.push(capsuleSpans(points[i - 1]!, points[i]!, radius, width, height));
  return out;
}
