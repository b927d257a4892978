/**
 * Spans: a region as horizontal runs, flat triples `[y, x0, x1]` with x1 exclusive. A brush dab,
 * a filled polygon or a flood-fill result on a 2048² mask is a few thousand numbers instead of
 * four million bytes, and applying one to a mask touches only the pixels inside it.
 */
export type Spans = Int32Array;

/** A label-index mask at source resolution: `data[y * width + x]`, 0 = background. */
export interface LabelMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Collects spans without knowing their number in advance. */
export class SpanBuilder {
  private buffer = new Int32Array(3 * 64);
  private length = 0;

  push(y: number, x0: number, x1: number): void {
    if (x1 <= x0) return;
    if (this.length + 3 > this.buffer.length) {
      const grown = new Int32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = y;
    this.buffer[this.length++] = x0;
    this.buffer[this.length++] = x1;
  }

  get count(): number {
    return this.length / 3;
  }

  build(): Spans {
    return this.buffer.slice(0, this.length);
  }
}

/** Number of pixels the spans cover (spans of one region never overlap). */
export function spansArea(spans: Spans): number {
  let area = 0;
  for (let i = 0; i < spans.length; i += 3) area += spans[i + 2]! - spans[i + 1]!;
  return area;
}

/** Writes `value` into every pixel the spans cover. Spans must lie inside the mask. */
export function fillSpans(mask: LabelMask, spans: Spans, value: number): void {
  const { data, width } = mask;
  for (let i = 0; i < spans.length; i += 3) {
    const row = spans[i]! * width;
    data.fill(value, row + spans[i + 1]!, row + spans[i + 2]!);
  }
}

/** A 0/1 row-major bitmap of the spans, for tests and for formats that want one. */
export function spansToBitmap(spans: Spans, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  fillSpans({ width, height, data: out }, spans, 1);
  return out;
}

/** Spans of every pixel where `inside(index)` holds, row by row. */
export function spansWhere(width: number, height: number, inside: (index: number) => boolean): Spans {
  const builder = new SpanBuilder();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      while (x < width && !inside(row + x)) x++;
      const start = x;
      while (x < width && inside(row + x)) x++;
      builder.push(y, start, x);
    }
  }
  return builder.build();
}
