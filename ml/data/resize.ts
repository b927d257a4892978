/**
 * Resampling of HWC float images and class masks, with half-pixel centres (as OpenCV's INTER_LINEAR
 * and tf.image.resizeBilinear with halfPixelCenters): a pixel's value sits at its centre.
 */

/** Where a frame's content lands inside the model input (the rest is padding). */
export interface Placement {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** `stretch` fills the input; `pad` keeps the aspect ratio and centres the content. */
export function placementFor(
  rows: number,
  columns: number,
  outRows: number,
  outColumns: number,
  policy: 'stretch' | 'pad',
): Placement {
  if (policy === 'stretch') return { top: 0, left: 0, height: outRows, width: outColumns };
  const factor = Math.min(outRows / rows, outColumns / columns);
  const height = Math.max(1, Math.round(rows * factor));
  const width = Math.max(1, Math.round(columns * factor));
  return { top: Math.floor((outRows - height) / 2), left: Math.floor((outColumns - width) / 2), height, width };
}

/** Bilinear resize of `src` (rows × columns × channels) into `placement` of a zeroed output. */
export function resizeBilinear(
  src: Float32Array,
  rows: number,
  columns: number,
  channels: number,
  outRows: number,
  outColumns: number,
  placement: Placement = { top: 0, left: 0, height: outRows, width: outColumns },
): Float32Array {
  const out = new Float32Array(outRows * outColumns * channels);
  const scaleY = rows / placement.height;
  const scaleX = columns / placement.width;
  for (let y = 0; y < placement.height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), rows - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, rows - 1);
    const fy = sy - y0;
    for (let x = 0; x < placement.width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), columns - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, columns - 1);
      const fx = sx - x0;
      const o = ((y + placement.top) * outColumns + x + placement.left) * channels;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * columns + x0) * channels + c]!;
        const b = src[(y0 * columns + x1) * channels + c]!;
        const d = src[(y1 * columns + x0) * channels + c]!;
        const e = src[(y1 * columns + x1) * channels + c]!;
        out[o + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of a class mask: labels are never blended into a class that isn't there. */
export function resizeNearestMask(
  src: Uint8Array,
  rows: number,
  columns: number,
  outRows: number,
  outColumns: number,
  placement: Placement = { top: 0, left: 0, height: outRows, width: outColumns },
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(outRows * outColumns);
  for (let y = 0; y < placement.height; y++) {
    const sy = Math.min(Math.floor(((y + 0.5) * rows) / placement.height), rows - 1);
    for (let x = 0; x < placement.width; x++) {
      const sx = Math.min(Math.floor(((x + 0.5) * columns) / placement.width), columns - 1);
      out[(y + placement.top) * outColumns + x + placement.left] = src[sy * columns + sx]!;
    }
  }
  return out;
}

/** Crops `placement` out of an HWC image (to map a prediction back onto its frame). */
export function crop(src: Float32Array, columns: number, channels: number, placement: Placement): Float32Array {
  const out = new Float32Array(placement.height * placement.width * channels);
  for (let y = 0; y < placement.height; y++) {
    const from = ((y + placement.top) * columns + placement.left) * channels;
    out.set(src.subarray(from, from + placement.width * channels), y * placement.width * channels);
  }
  return out;
}
