/**
 * Resampling of HWC images and class masks, with half-pixel centres (as OpenCV's INTER_LINEAR
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

/**
 * Fills `into` with source row `row`'s values at the source columns `at` (ascending; every column
 * when absent), `channels` floats per column, interleaved. Resizing pulls rows through this so
 * that only the rows and columns the interpolation reads are converted: a 512² frame resized to
 * 64² reads 128 of each, a 16th of its pixels.
 */
export type ReadRow = (row: number, into: Float32Array, at?: Int32Array) => void;

/** For each output index along one axis: the two source indices read and the second one's weight. */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float64Array;
}

function bilinearTaps(size: number, outSize: number): Taps {
  const taps = { lo: new Int32Array(outSize), hi: new Int32Array(outSize), weight: new Float64Array(outSize) };
  const scale = size / outSize;
  for (let i = 0; i < outSize; i++) {
    const s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), size - 1);
    const lo = Math.floor(s);
    taps.lo[i] = lo;
    taps.hi[i] = Math.min(lo + 1, size - 1);
    taps.weight[i] = s - lo;
  }
  return taps;
}

/** The distinct source indices `taps` reads, ascending, with `lo` and `hi` renumbered to positions in that list. */
function compact(taps: Taps, size: number): { indices: Int32Array; lo: Int32Array; hi: Int32Array } {
  // -1 for an index never read; those read are marked, then numbered in ascending order.
  const position = new Int32Array(size).fill(-1);
  for (let i = 0; i < taps.lo.length; i++) position[taps.lo[i]!] = position[taps.hi[i]!] = 0;
  let count = 0;
  for (let s = 0; s < size; s++) if (position[s] === 0) position[s] = count++;
  const indices = new Int32Array(count);
  for (let s = 0; s < size; s++) if (position[s]! >= 0) indices[position[s]!] = s;
  return { indices, lo: taps.lo.map((s) => position[s]!), hi: taps.hi.map((s) => position[s]!) };
}

/**
 * Bilinear resize of a rows × columns × channels image, read row by row through `readRow`, into
 * `placement` of a zeroed output. Each source row is read at most once and two are held at a time,
 * so no full-size copy of the source is made.
 */
export function resizeBilinear(
  readRow: ReadRow,
  rows: number,
  columns: number,
  channels: number,
  outRows: number,
  outColumns: number,
  placement: Placement = { top: 0, left: 0, height: outRows, width: outColumns },
): Float32Array {
  const out = new Float32Array(outRows * outColumns * channels);
  const ys = bilinearTaps(rows, placement.height);
  const xs = bilinearTaps(columns, placement.width);
  const { indices, lo, hi } = compact(xs, columns);
  const weight = xs.weight;
  // Enlarging, or shrinking by less than 2, reads every column: the reader then copies the row whole.
  const every = indices.length === columns;
  const slots = [new Float32Array(indices.length * channels), new Float32Array(indices.length * channels)];
  const held = [-1, -1];
  /** Row `row`, read into the slot that does not hold `keep` unless it is already held. */
  const rowAt = (row: number, keep: number): Float32Array => {
    if (held[0] === row) return slots[0]!;
    if (held[1] === row) return slots[1]!;
    const slot = held[0] === keep ? 1 : 0;
    readRow(row, slots[slot]!, every ? undefined : indices);
    held[slot] = row;
    return slots[slot]!;
  };
  for (let y = 0; y < placement.height; y++) {
    const y0 = ys.lo[y]!;
    const y1 = ys.hi[y]!;
    const fy = ys.weight[y]!;
    const upper = rowAt(y0, y1);
    const lower = rowAt(y1, y0);
    const rowStart = ((y + placement.top) * outColumns + placement.left) * channels;
    // Both loops keep the arithmetic, and its order, of the full-frame resize this replaced, so
    // results are bit-identical; grey (most inputs) gets its own loop without the channel loop.
    if (channels === 1) {
      for (let x = 0; x < placement.width; x++) {
        const fx = weight[x]!;
        const x0 = lo[x]!;
        const x1 = hi[x]!;
        out[rowStart + x] =
          (upper[x0]! * (1 - fx) + upper[x1]! * fx) * (1 - fy) + (lower[x0]! * (1 - fx) + lower[x1]! * fx) * fy;
      }
      continue;
    }
    for (let x = 0; x < placement.width; x++) {
      const fx = weight[x]!;
      const x0 = lo[x]! * channels;
      const x1 = hi[x]! * channels;
      const o = rowStart + x * channels;
      for (let c = 0; c < channels; c++) {
        const a = upper[x0 + c]!;
        const b = upper[x1 + c]!;
        const d = lower[x0 + c]!;
        const e = lower[x1 + c]!;
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
