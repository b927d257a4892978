/**
 * COCO run-length encoding, as pycocotools' maskApi.c defines it:
 * - pixels are read in COLUMN-major order (down each column, then the next column);
 * - counts alternate runs of 0 and 1, always starting with a run of 0 (possibly of length 0);
 * - the compressed string form stores each count as a little-endian sequence of 5-bit groups,
 *   6 bits per character (bit 5 = "more follows"), offset by ASCII 48, sign-extended from bit 4
 *   of the last group; from the fourth count on (index > 2, a quirk of the reference code) the
 *   value stored is the difference to the count two places earlier.
 */

/** Uncompressed RLE as it appears in COCO JSON (`iscrowd: 1` annotations usually). */
export interface CocoRle {
  /** [height, width], in that order. */
  size: [number, number];
  counts: number[];
}

/** Compressed RLE: `counts` is the string form. */
export interface CocoCompressedRle {
  size: [number, number];
  counts: string;
}

/** Counts of a row-major mask where `isOn(value)` holds (default: any non-zero). */
export function rleEncode(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  isOn: (value: number) => boolean = (v) => v !== 0,
): CocoRle {
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const on = isOn(mask[y * width + x]!);
      if (on !== current) {
        counts.push(run);
        run = 0;
        current = on;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** A row-major 0/1 mask from RLE counts. Throws RangeError when the counts do not add up. */
export function rleDecode(rle: CocoRle): Uint8Array {
  const [height, width] = rle.size;
  const total = width * height;
  const out = new Uint8Array(total);
  let position = 0;
  let on = false;
  for (const count of rle.counts) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`RLE count ${count} is not a non-negative integer.`);
    if (position + count > total) throw new RangeError(`RLE counts cover more than the ${height}×${width} mask.`);
    if (on) {
      for (let k = position; k < position + count; k++) {
        const x = Math.floor(k / height);
        const y = k - x * height;
        out[y * width + x] = 1;
      }
    }
    position += count;
    on = !on;
  }
  if (position !== total)
    throw new RangeError(`RLE counts cover ${position} of the ${total} pixels of a ${height}×${width} mask.`);
  return out;
}

/** Compressed string form of counts (maskApi.c `rleToString`). */
export function rleCountsToString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      // Arithmetic shift keeps the sign, as the C code's `long x >>= 5` does.
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** Counts from the compressed string form (maskApi.c `rleFrString`). Throws RangeError on bad characters. */
export function rleCountsFromString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new RangeError('Compressed RLE string ends in the middle of a count.');
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RangeError(`Compressed RLE string has a character outside '0'..'o' at ${p}.`);
      // Six groups hold 30 bits: counts up to 2^29, a 23 000² mask; more is a corrupt string.
      if (k > 5) throw new RangeError('Compressed RLE count is too long.');
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

export function compressRle(rle: CocoRle): CocoCompressedRle {
  return { size: rle.size, counts: rleCountsToString(rle.counts) };
}

export function decompressRle(rle: CocoCompressedRle): CocoRle {
  return { size: rle.size, counts: rleCountsFromString(rle.counts) };
}

/** Pixel count (COCO `area`) of an RLE. */
export function rleArea(rle: CocoRle): number {
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i]!;
  return area;
}
