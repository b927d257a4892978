/**
 * Flood fill and fill holes on label masks, built on one scanline fill that returns spans.
 */
import { SpanBuilder, spansWhere, type LabelMask, type Spans } from './spans';

/** 4: edge neighbours only (the default: a diagonal touch does not leak). 8: corners too. */
export type Connectivity = 4 | 8;

/**
 * Scanline fill from one or more seeds over the pixels where `inside(index)` holds, marking
 * `visited` (a width × height byte array, reusable across calls to grow one region). Returns the
 * spans it added.
 */
export function scanlineFill(
  width: number,
  height: number,
  seeds: ArrayLike<number>,
  inside: (index: number) => boolean,
  connectivity: Connectivity = 4,
  visited: Uint8Array = new Uint8Array(width * height),
): Spans {
  const builder = new SpanBuilder();
  const stack: number[] = [];
  for (let i = 0; i < seeds.length; i++) stack.push(seeds[i]!);
  const reach = connectivity === 8 ? 1 : 0;
  while (stack.length > 0) {
    const seed = stack.pop()!;
    if (visited[seed] || !inside(seed)) continue;
    const y = Math.floor(seed / width);
    const row = y * width;
    let left = seed - row;
    let right = left;
    while (left > 0 && !visited[row + left - 1] && inside(row + left - 1)) left--;
    while (right < width - 1 && !visited[row + right + 1] && inside(row + right + 1)) right++;
    visited.fill(1, row + left, row + right + 1);
    builder.push(y, left, right + 1);
    const from = Math.max(0, left - reach);
    const to = Math.min(width - 1, right + reach);
    for (const ny of [y - 1, y + 1]) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let x = from; x <= to; x++) {
        const index = nrow + x;
        const open = !visited[index] && inside(index);
        if (open && !inRun) stack.push(index);
        inRun = open;
      }
    }
  }
  return builder.build();
}

/** The connected region of pixels sharing the seed pixel's label (what a paint-bucket replaces). */
export function floodFillRegion(mask: LabelMask, seedX: number, seedY: number, connectivity: Connectivity = 4): Spans {
  const { width, height, data } = mask;
  if (!isInside(seedX, seedY, width, height)) return new Int32Array(0);
  const seed = Math.floor(seedY) * width + Math.floor(seedX);
  const label = data[seed]!;
  return scanlineFill(width, height, [seed], (i) => data[i] === label, connectivity);
}

/**
 * The holes of one class: background (0) pixels that cannot reach the image border without
 * crossing that class — the binary "fill holes" of (mask === label), restricted to background so
 * other classes enclosed by this one are left alone. Border reachability is 4-connected, like
 * scipy.ndimage.binary_fill_holes' default structure.
 */
export function holesOf(mask: LabelMask, label: number): Spans {
  const { width, height, data } = mask;
  const seeds: number[] = [];
  const open = (i: number): boolean => data[i] !== label;
  for (let x = 0; x < width; x++) {
    seeds.push(x, (height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seeds.push(y * width, y * width + width - 1);
  }
  const outside = new Uint8Array(width * height);
  scanlineFill(width, height, seeds, open, 4, outside);
  return spansWhere(width, height, (i) => outside[i] === 0 && data[i] === 0);
}

export function isInside(x: number, y: number, width: number, height: number): boolean {
  return x >= 0 && y >= 0 && x < width && y < height;
}
