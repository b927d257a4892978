/**
 * A feature-resolution heatmap sampled bilinearly at each source pixel's centre, through the
 * model card's placement (resize or pad): the heatmap lands on the frame's own pixels, whatever
 * its size, so it overlays the image exactly at any zoom and window/level.
 */
import type { Placement } from '../data/resize';
import type { FeatureHeatmap } from './cam';

export interface FrameHeatmap {
  /** Row-major `rows × columns` in [0, 1]. */
  values: Float32Array<ArrayBuffer>;
  rows: number;
  columns: number;
}

export function heatmapOnFrame(
  map: FeatureHeatmap,
  input: { rows: number; columns: number },
  placement: Placement,
  frame: { rows: number; columns: number },
): FrameHeatmap {
  const out = new Float32Array(frame.rows * frame.columns);
  // Feature cells tile the input: a cell's centre sits at (i + 0.5) · stride in input pixels.
  const strideY = input.rows / map.rows;
  const strideX = input.columns / map.columns;
  const sample = (v: number, size: number): [number, number, number] => {
    const c = Math.min(Math.max(v, 0), size - 1);
    const i0 = Math.floor(c);
    return [i0, Math.min(i0 + 1, size - 1), c - i0];
  };
  for (let y = 0; y < frame.rows; y++) {
    const inputY = placement.top + ((y + 0.5) * placement.height) / frame.rows;
    const [y0, y1, fy] = sample(inputY / strideY - 0.5, map.rows);
    for (let x = 0; x < frame.columns; x++) {
      const inputX = placement.left + ((x + 0.5) * placement.width) / frame.columns;
      const [x0, x1, fx] = sample(inputX / strideX - 0.5, map.columns);
      const v = map.values;
      const top = v[y0 * map.columns + x0]! * (1 - fx) + v[y0 * map.columns + x1]! * fx;
      const bottom = v[y1 * map.columns + x0]! * (1 - fx) + v[y1 * map.columns + x1]! * fx;
      out[y * frame.columns + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return { values: out, rows: frame.rows, columns: frame.columns };
}

/** The heatmap's maximum as `[x, y]` in frame pixels (the first one in row order on ties). */
export function heatmapPeak(map: FrameHeatmap): [number, number] {
  let best = 0;
  for (let i = 1; i < map.values.length; i++) if (map.values[i]! > map.values[best]!) best = i;
  return [best % map.columns, Math.floor(best / map.columns)];
}
