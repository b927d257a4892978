/**
 * Masks held by an import plan between validation and writing: row-major runs of (value, length),
 * a few kilobytes for a typical label mask where the raw bytes would be megabytes, so a plan for
 * thousands of images fits in memory.
 */
export interface PackedMask {
  width: number;
  height: number;
  /** Flat pairs [value, length, value, length, …] covering width × height pixels. */
  runs: Uint32Array;
}

export function packMask(data: Uint8Array, width: number, height: number): PackedMask {
  const runs: number[] = [];
  let i = 0;
  while (i < data.length) {
    const value = data[i]!;
    let j = i + 1;
    while (j < data.length && data[j] === value) j++;
    runs.push(value, j - i);
    i = j;
  }
  return { width, height, runs: Uint32Array.from(runs) };
}

/** Unpacks, passing each value through `lut` (plan value → stored mask index). */
export function unpackMask(mask: PackedMask, lut?: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(mask.width * mask.height);
  let at = 0;
  for (let k = 0; k < mask.runs.length; k += 2) {
    const value = mask.runs[k]!;
    const length = mask.runs[k + 1]!;
    out.fill(lut ? lut[value]! : value, at, at + length);
    at += length;
  }
  return out;
}

/** Distinct non-zero values in a packed mask. */
export function packedValues(mask: PackedMask): Set<number> {
  const values = new Set<number>();
  for (let k = 0; k < mask.runs.length; k += 2) if (mask.runs[k]) values.add(mask.runs[k]!);
  return values;
}
