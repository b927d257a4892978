/**
 * Iso-lines of a scalar map (a class probability) by marching squares, as line segments in
 * SOURCE-pixel coordinates: pixel (column c, row r) has its centre at (c + 0.5, r + 0.5), so the
 * segments are drawn with the same transform as the image and stay on it at any zoom or window.
 *
 * The cases and their order follow scikit-image's `measure.find_contours` (Lorensen & Cline 1987)
 * with `fully_connected='low'`: in the two saddle cases the corners above the level are kept apart,
 * so the segments are the ones scikit-image returns (tested against it). Segments are not joined
 * into polylines: a path of separate segments draws the same and needs no bookkeeping.
 */

/** Flat `[x0, y0, x1, y1, …]`, one segment per four numbers. */
export type IsoSegments = Float32Array<ArrayBuffer>;

export function isoLines(values: ArrayLike<number>, width: number, height: number, level: number): IsoSegments {
  if (values.length !== width * height)
    throw new RangeError(`The map holds ${values.length} values; ${width}×${height} needs ${width * height}.`);
  const out: number[] = [];
  const at = (r: number, c: number): number => values[r * width + c]!;
  const fraction = (from: number, to: number): number => (to === from ? 0 : (level - from) / (to - from));
  for (let r = 0; r + 1 < height; r++) {
    for (let c = 0; c + 1 < width; c++) {
      const ul = at(r, c);
      const ur = at(r, c + 1);
      const ll = at(r + 1, c);
      const lr = at(r + 1, c + 1);
      const square = (ul > level ? 1 : 0) | (ur > level ? 2 : 0) | (ll > level ? 4 : 0) | (lr > level ? 8 : 0);
      if (square === 0 || square === 15) continue;
      // Crossing points as [row, column], as scikit-image computes them.
      const top = (): [number, number] => [r, c + fraction(ul, ur)];
      const bottom = (): [number, number] => [r + 1, c + fraction(ll, lr)];
      const left = (): [number, number] => [r + fraction(ul, ll), c];
      const right = (): [number, number] => [r + fraction(ur, lr), c + 1];
      const segment = (a: [number, number], b: [number, number]): void => {
        out.push(a[1] + 0.5, a[0] + 0.5, b[1] + 0.5, b[0] + 0.5);
      };
      switch (square) {
        case 1:
        case 14:
          segment(top(), left());
          break;
        case 2:
        case 13:
          segment(right(), top());
          break;
        case 3:
        case 12:
          segment(right(), left());
          break;
        case 4:
        case 11:
          segment(left(), bottom());
          break;
        case 5:
        case 10:
          segment(top(), bottom());
          break;
        case 6:
          segment(right(), top());
          segment(left(), bottom());
          break;
        case 7:
        case 8:
          segment(right(), bottom());
          break;
        case 9:
          segment(top(), left());
          segment(bottom(), right());
          break;
      }
    }
  }
  return Float32Array.from(out);
}

/** Dice coefficient 2|A∩B| / (|A| + |B|) of one value in two masks of the same size; null when neither has it. */
export function diceOf(a: ArrayLike<number>, b: ArrayLike<number>, value: number): number | null {
  if (a.length !== b.length) throw new RangeError(`The masks differ in size: ${a.length} and ${b.length} pixels.`);
  let both = 0;
  let inA = 0;
  let inB = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p] === value;
    const y = b[p] === value;
    if (x) inA++;
    if (y) inB++;
    if (x && y) both++;
  }
  return inA + inB === 0 ? null : (2 * both) / (inA + inB);
}

/** Mean Dice over the values either mask has (background 0 left out); null when neither has any. */
export function meanDice(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const values = new Set<number>();
  for (let p = 0; p < a.length; p++) {
    if (a[p]) values.add(a[p]!);
    if (b[p]) values.add(b[p]!);
  }
  const scores = [...values].map((v) => diceOf(a, b, v)!);
  return scores.length === 0 ? null : scores.reduce((s, d) => s + d, 0) / scores.length;
}
