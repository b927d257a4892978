/**
 * Mask edits for undo/redo, kept as compact diffs: a 2048² mask is 4 MiB, and a hundred copies of
 * it per image would be 400 MiB. A MaskStroke lets a tool paint freely, then `finish()` compares
 * the touched rectangle with the copy taken at the start and keeps only what changed: the changed
 * pixels as spans, and their old and new values run-length encoded. A brush stroke costs a few
 * kilobytes; even a fill of the whole image costs a few kilobytes per thousand rows.
 */
import { SpanBuilder, type LabelMask, type Spans } from '../../../contract/geometry/index';

export interface MaskDiff {
  width: number;
  height: number;
  /** Changed pixels as [y, x0, x1) triples, row by row. */
  spans: Int32Array;
  /** Old values of those pixels, in span order, as packed runs (value << 24 | length). */
  before: Uint32Array;
  /** New values, packed the same way. */
  after: Uint32Array;
}

const MAX_RUN = 0xffffff;

function packRuns(values: ArrayLike<number>, length: number): Uint32Array {
  const out: number[] = [];
  let i = 0;
  while (i < length) {
    const v = values[i]!;
    let j = i + 1;
    while (j < length && values[j] === v && j - i < MAX_RUN) j++;
    out.push(((v << 24) | (j - i)) >>> 0);
    i = j;
  }
  return Uint32Array.from(out);
}

/** Writes packed runs into the span pixels of a mask. */
function writeRuns(mask: LabelMask, spans: Int32Array, runs: Uint32Array): void {
  let run = 0;
  let left = runs.length ? runs[0]! & MAX_RUN : 0;
  for (let s = 0; s < spans.length; s += 3) {
    const row = spans[s]! * mask.width;
    for (let x = spans[s + 1]!; x < spans[s + 2]!; x++) {
      while (left === 0) left = runs[++run]! & MAX_RUN;
      mask.data[row + x] = runs[run]! >>> 24;
      left--;
    }
  }
}

export function undoMaskDiff(mask: LabelMask, diff: MaskDiff): void {
  writeRuns(mask, diff.spans, diff.before);
}

export function redoMaskDiff(mask: LabelMask, diff: MaskDiff): void {
  writeRuns(mask, diff.spans, diff.after);
}

/** Bytes a diff holds, for tests and for a memory readout. */
export function maskDiffBytes(diff: MaskDiff): number {
  return diff.spans.byteLength + diff.before.byteLength + diff.after.byteLength;
}

/**
 * One undoable mask operation (a brush stroke, a fill, a polygon). Paint through it; call
 * `finish()` once to get the diff (null when nothing changed).
 */
export class MaskStroke {
  private readonly original: Uint8Array;
  private minX = Infinity;
  private minY = Infinity;
  private maxX = -Infinity;
  private maxY = -Infinity;

  constructor(readonly mask: LabelMask) {
    // One copy for the duration of the operation only; history keeps the diff, not this.
    this.original = mask.data.slice();
  }

  /** Sets every pixel of the spans to `value`. */
  paint(spans: Spans, value: number): void {
    const { data, width } = this.mask;
    for (let i = 0; i < spans.length; i += 3) {
      const y = spans[i]!;
      const x0 = spans[i + 1]!;
      const x1 = spans[i + 2]!;
      data.fill(value, y * width + x0, y * width + x1);
      this.touch(x0, y, x1, y);
    }
  }

  /** Sets the span pixels that currently hold `only` to `value` (erasing one class, subtracting). */
  paintWhere(spans: Spans, only: number, value: number): void {
    const { data, width } = this.mask;
    for (let i = 0; i < spans.length; i += 3) {
      const row = spans[i]! * width;
      for (let x = spans[i + 1]!; x < spans[i + 2]!; x++) if (data[row + x] === only) data[row + x] = value;
      this.touch(spans[i + 1]!, spans[i]!, spans[i + 2]!, spans[i]!);
    }
  }

  private touch(x0: number, y0: number, x1: number, y1: number): void {
    if (x0 < this.minX) this.minX = x0;
    if (y0 < this.minY) this.minY = y0;
    if (x1 > this.maxX) this.maxX = x1;
    if (y1 > this.maxY) this.maxY = y1;
  }

  finish(): MaskDiff | null {
    if (this.maxX < 0) return null;
    const { data, width, height } = this.mask;
    const spans = new SpanBuilder();
    // Scratch sized to the touched rectangle: typed arrays, not JS arrays, keep a whole-image fill fast.
    const capacity = (this.maxX - this.minX) * (this.maxY - this.minY + 1);
    const before = new Uint8Array(capacity);
    const after = new Uint8Array(capacity);
    let n = 0;
    for (let y = this.minY; y <= this.maxY; y++) {
      const row = y * width;
      let x = this.minX;
      while (x < this.maxX) {
        while (x < this.maxX && data[row + x] === this.original[row + x]) x++;
        const start = x;
        while (x < this.maxX && data[row + x] !== this.original[row + x]) {
          before[n] = this.original[row + x]!;
          after[n++] = data[row + x]!;
          x++;
        }
        spans.push(y, start, x);
      }
    }
    if (n === 0) return null;
    return { width, height, spans: spans.build(), before: packRuns(before, n), after: packRuns(after, n) };
  }
}
