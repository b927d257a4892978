/**
 * Polygon rasterisation, used by the polygon tool and by COCO/YOLO polygon import.
 *
 * Rule: a pixel is inside when its centre is inside under the EVEN-ODD rule over all rings
 * together. So a ring inside another ring is a hole, and an edge traversed twice (the zero-width
 * "bridge" contours.ts uses to join holes into one YOLO polygon) changes nothing. A centre lying
 * exactly on an edge counts as inside on the edge's right-going side (half-open [xa, xb)), so
 * two polygons sharing an edge never both claim a pixel.
 */
import { SpanBuilder, type Spans } from './spans';

/** A ring as flat coordinates `[x0, y0, x1, y1, …]`; it closes by itself (last → first). */
export type Ring = ArrayLike<number>;

/** Spans of the pixels inside the rings (even-odd), clipped to the image. */
export function rasterizePolygon(rings: readonly Ring[], width: number, height: number): Spans {
  // Bucket every non-horizontal edge by the first pixel row whose centre it crosses.
  const rowsStart: number[][] = Array.from({ length: height }, () => []);
  const edges: number[] = []; // xa, ya, xb, yb (ya < yb), lastRow
  for (const ring of rings) {
    const n = Math.floor(ring.length / 2);
    if (n < 3) continue;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      let xa = ring[2 * i]!,
        ya = ring[2 * i + 1]!,
        xb = ring[2 * j]!,
        yb = ring[2 * j + 1]!;
      if (!Number.isFinite(xa + ya + xb + yb) || ya === yb) continue;
      if (ya > yb) [xa, ya, xb, yb] = [xb, yb, xa, ya];
      // Rows whose centre y + 0.5 lies in [ya, yb): half-open so a vertex is counted once.
      const first = Math.max(0, Math.ceil(ya - 0.5));
      const last = Math.min(height - 1, Math.ceil(yb - 0.5) - 1);
      if (first > last) continue;
      const id = edges.length;
      edges.push(xa, ya, xb, yb, last);
      rowsStart[first]!.push(id);
    }
  }
  const builder = new SpanBuilder();
  let active: number[] = [];
  const crossings: number[] = [];
  for (let y = 0; y < height; y++) {
    active = active.filter((id) => edges[id + 4]! >= y);
    for (const id of rowsStart[y]!) active.push(id);
    if (active.length === 0) continue;
    const yc = y + 0.5;
    crossings.length = 0;
    for (const id of active) {
      const xa = edges[id]!,
        ya = edges[id + 1]!,
        xb = edges[id + 2]!,
        yb = edges[id + 3]!;
      crossings.push(xa + ((yc - ya) * (xb - xa)) / (yb - ya));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      // Centres x + 0.5 in [left, right): x from ceil(left - 0.5) to ceil(right - 0.5) - 1.
      const x0 = Math.max(0, Math.ceil(crossings[k]! - 0.5));
      const x1 = Math.min(width, Math.ceil(crossings[k + 1]! - 0.5));
      builder.push(y, x0, x1);
    }
  }
  return builder.build();
}
