/**
 * Segmented palette colour lookup tables (PS3.3 C.7.9.2): the table is written as segments that
 * Loupe expands to the plain table the descriptor announces. Discrete segments list their entries,
 * linear segments draw a line from the previous entry to their end value, and indirect segments
 * replay segments found at a word offset earlier in the data. Neither DCMTK (dcm2pnm: "segmented
 * palettes not yet supported") nor GDCM 3.0 (gdcmconv aborts) expands them; the tests compare with
 * pydicom's expansion.
 */
import { DecodeError } from '../errors';
import { formatTag } from './palette';
import type { DataSet } from './parser-lib';

const DISCRETE = 0;
const LINEAR = 1;
const INDIRECT = 2;
/** Indirect segments may point at indirect segments; a crafted file could loop, so the nesting is bounded. */
const MAX_INDIRECT_DEPTH = 8;

/** The segment words: 16-bit words for 16-bit entries, bytes for 8-bit entries (as pydicom reads them). */
function segmentWords(dataSet: DataSet, tag: string, bits: number): number[] {
  const element = dataSet.elements[tag]!;
  if (bits === 8) return [...dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length)];
  // dataSet.uint16 reads in the file's byte order.
  return Array.from({ length: element.length >> 1 }, (_, i) => dataSet.uint16(tag, i) ?? 0);
}

/** numpy.around's rounding (half to even), so a linear segment's entries match the reference exactly. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Expands the segments starting at `start`; `limit` segments at most (an indirect segment's count). */
function expand(
  words: number[],
  start: number,
  limit: number,
  out: number[],
  entries: number,
  bits: number,
  depth: number,
  bigEndian: boolean,
): void {
  const fail = (why: string): never => {
    throw new DecodeError('malformed', `The segmented palette is damaged: ${why}.`);
  };
  let at = start;
  for (let segment = 0; segment < limit && at + 1 < words.length && out.length < entries; segment++) {
    const opcode = words[at]!;
    const length = words[at + 1]!;
    at += 2;
    if (opcode === DISCRETE) {
      if (at + length > words.length) fail('a discrete segment runs past the end of the data');
      for (let i = 0; i < length; i++) out.push(words[at + i]!);
      at += length;
    } else if (opcode === LINEAR) {
      if (out.length === 0) fail('the first segment is a linear one, which has no start value');
      if (at >= words.length) fail('a linear segment lacks its end value');
      const y0 = out.at(-1)!;
      const y1 = words[at]!;
      at += 1;
      // Entries y0 + step … y1 (the line starts at the previous segment's last entry), computed as
      // numpy.linspace does, so a value exactly between two integers rounds the same way.
      const first = y0 + (y1 - y0) / length;
      const delta = length > 1 ? (y1 - first) / (length - 1) : 0;
      for (let i = 0; i < length; i++) out.push(y0 === y1 || i === length - 1 ? y1 : roundHalfEven(i * delta + first));
    } else if (opcode === INDIRECT) {
      if (out.length === 0) fail('the first segment is an indirect one');
      if (depth >= MAX_INDIRECT_DEPTH) fail(`indirect segments nest more than ${MAX_INDIRECT_DEPTH} deep`);
      const offset = indirectOffset(words, at, bits, bigEndian);
      at += bits === 8 ? 4 : 2;
      if (offset >= words.length) fail('an indirect segment points past the end of the data');
      expand(words, offset, length, out, entries, bits, depth + 1, bigEndian);
    } else {
      fail(`segment type ${opcode} is not one of discrete (0), linear (1) or indirect (2)`);
    }
  }
}

/** The word offset of an indirect segment: 32 bits, least significant half first (C.7.9.2.3). */
function indirectOffset(words: number[], at: number, bits: number, bigEndian: boolean): number {
  if (bits !== 8) return ((words[at + 1] ?? 0) * 0x10000 + (words[at] ?? 0)) >>> 0;
  // 8-bit data: two 16-bit halves split over four bytes, in the file's byte order.
  const order = bigEndian ? [2, 3, 0, 1] : [3, 2, 1, 0];
  const [a, b, c, d] = order.map((k) => words[at + k] ?? 0) as [number, number, number, number];
  return (((a << 8) | b) * 0x10000 + ((c << 8) | d)) >>> 0;
}

/** The expanded table of `entries` entries from a Segmented … Palette Color Lookup Table Data element. */
export function segmentedTable(
  dataSet: DataSet,
  tag: string,
  entries: number,
  bits: number,
  bigEndian: boolean,
): Uint16Array {
  const words = segmentWords(dataSet, tag, bits);
  const out: number[] = [];
  expand(words, 0, Number.POSITIVE_INFINITY, out, entries, bits, 0, bigEndian);
  if (out.length < entries)
    throw new DecodeError(
      'malformed',
      `The segmented palette ${formatTag(tag)} expands to ${out.length} entries where its descriptor announces ${entries}.`,
    );
  return Uint16Array.from(out.slice(0, entries));
}
