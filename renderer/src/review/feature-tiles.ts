/**
 * Feature-map channels for the Layers panel: a channel as grey pixels for its tile, and a channel
 * laid over the image like a heatmap — sampled bilinearly at each frame pixel's centre through the
 * model card's placement, the sampling the engine uses for heatmaps (ml/explain/heatmap-on-frame.ts),
 * so a tile lands on the pixels it was computed from at any zoom.
 */
import { normalisedChannel, type FeatureMapsReply } from '../../../contract/index';

export type FeatureMaps = Pick<
  FeatureMapsReply,
  'activations' | 'rows' | 'columns' | 'input' | 'placement' | 'count' | 'total'
>;

/** Channel `index` scaled by its own extremes, as grey RGBA for a `columns × rows` canvas. */
export function channelGreyPixels(maps: FeatureMaps, index: number, out: Uint8ClampedArray): void {
  const values = normalisedChannel(maps.activations, index, maps.rows * maps.columns);
  values.forEach((v, i) => {
    const grey = Math.round(255 * v);
    out.set([grey, grey, grey, 255], i * 4);
  });
}

/** Channel `index`, scaled to [0, 1], on a `frameRows × frameColumns` frame's own pixels. */
export function channelOnFrame(
  maps: FeatureMaps,
  index: number,
  frameRows: number,
  frameColumns: number,
): Float32Array {
  const v = normalisedChannel(maps.activations, index, maps.rows * maps.columns);
  const { placement, input } = maps;
  const out = new Float32Array(frameRows * frameColumns);
  // Feature cells tile the input: a cell's centre sits at (i + 0.5) · stride in input pixels.
  const strideY = input.rows / maps.rows;
  const strideX = input.columns / maps.columns;
  const sample = (at: number, size: number): [number, number, number] => {
    const c = Math.min(Math.max(at, 0), size - 1);
    const i0 = Math.floor(c);
    return [i0, Math.min(i0 + 1, size - 1), c - i0];
  };
  const w = maps.columns;
  for (let y = 0; y < frameRows; y++) {
    const inputY = placement.top + ((y + 0.5) * placement.height) / frameRows;
    const [y0, y1, fy] = sample(inputY / strideY - 0.5, maps.rows);
    for (let x = 0; x < frameColumns; x++) {
      const inputX = placement.left + ((x + 0.5) * placement.width) / frameColumns;
      const [x0, x1, fx] = sample(inputX / strideX - 0.5, maps.columns);
      const top = v[y0 * w + x0]! * (1 - fx) + v[y0 * w + x1]! * fx;
      const bottom = v[y1 * w + x0]! * (1 - fx) + v[y1 * w + x1]! * fx;
      out[y * frameColumns + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
