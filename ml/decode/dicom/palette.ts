/**
 * PALETTE COLOR (PS3.3 C.7.6.3.1.5-6, C.7.9): stored values are indices into three lookup tables.
 * Loupe hands on the looked-up RGB, 8-bit for 8-bit entries and 16-bit for 16-bit entries, as
 * DCMTK's dcm2pnm renders it. Segmented palettes (C.7.9.2) are expanded first (segmented-lut.ts).
 */
import { DecodeError } from '../errors';
import dicomParser, { type DataSet } from './parser-lib';
import { segmentedTable } from './segmented-lut';

export interface Palette {
  /** Bits per entry: 8 or 16. */
  bits: 8 | 16;
  /** Stored value mapped to the first entry; values below it take the first entry, above the last the last. */
  firstMapped: number;
  red: Uint16Array;
  green: Uint16Array;
  blue: Uint16Array;
}

const CHANNELS = [
  ['red', 'x00281101', 'x00281201', 'x00281221'],
  ['green', 'x00281102', 'x00281202', 'x00281222'],
  ['blue', 'x00281103', 'x00281203', 'x00281223'],
] as const;

/** A descriptor's entry count of 0 means 65536 (C.7.6.3.1.5). */
const FULL_TABLE = 65536;

export function descriptor(
  dataSet: DataSet,
  tag: string,
  signedIndices: boolean,
): { entries: number; first: number; bits: number } {
  const element = dataSet.elements[tag];
  if (!element || element.length < 6)
    throw new DecodeError('malformed', `This image lacks its lookup table descriptor ${formatTag(tag)}.`);
  const entries = dataSet.uint16(tag, 0) ?? 0;
  const rawFirst = dataSet.uint16(tag, 1) ?? 0;
  return {
    entries: entries === 0 ? FULL_TABLE : entries,
    first: signedIndices && rawFirst > 0x7fff ? rawFirst - 0x10000 : rawFirst,
    bits: dataSet.uint16(tag, 2) ?? 0,
  };
}

export function formatTag(tag: string): string {
  return `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()})`;
}

/** One table's entries, from 16-bit words, or from bytes when an 8-bit table is stored one entry per byte. */
export function tableData(dataSet: DataSet, tag: string, entries: number, bits: number): Uint16Array {
  const element = dataSet.elements[tag];
  if (!element) throw new DecodeError('malformed', `This image lacks its lookup table data ${formatTag(tag)}.`);
  const bytes = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  const out = new Uint16Array(entries);
  if (bits === 8 && bytes.length >= entries && bytes.length < 2 * entries) {
    out.set(bytes.subarray(0, entries));
    return out;
  }
  if (bytes.length < 2 * entries)
    throw new DecodeError(
      'malformed',
      `The lookup table data ${formatTag(tag)} holds ${bytes.length} bytes where ${entries} entries need ${2 * entries}.`,
    );
  // dataSet.uint16 reads in the file's byte order (big-endian files too).
  for (let i = 0; i < entries; i++) out[i] = dataSet.uint16(tag, i) ?? 0;
  // 8-bit entries in 16-bit words: the value sits in the low byte (or, from some writers, the high byte alone).
  if (bits === 8) {
    const highOnly = out.every((v) => (v & 0xff) === 0) && out.some((v) => v !== 0);
    for (let i = 0; i < entries; i++) out[i] = highOnly ? out[i]! >> 8 : out[i]! & 0xff;
  }
  return out;
}

export function readPalette(dataSet: DataSet, signedIndices: boolean): Palette {
  const tables: Uint16Array[] = [];
  let bits = 0;
  let firstMapped = 0;
  for (const [name, descriptorTag, dataTag, segmentedTag] of CHANNELS) {
    const d = descriptor(dataSet, descriptorTag, signedIndices);
    if (d.bits !== 8 && d.bits !== 16)
      throw new DecodeError(
        'unsupported',
        `The ${name} palette has ${d.bits}-bit entries; Loupe reads 8- and 16-bit palettes.`,
      );
    if (tables.length > 0 && (d.bits !== bits || d.first !== firstMapped)) {
      throw new DecodeError(
        'malformed',
        'The red, green and blue palette descriptors disagree on their first value or bits per entry.',
      );
    }
    bits = d.bits;
    firstMapped = d.first;
    tables.push(
      !dataSet.elements[dataTag] && dataSet.elements[segmentedTag]
        ? segmentedTable(dataSet, segmentedTag, d.entries, d.bits, bigEndian(dataSet))
        : tableData(dataSet, dataTag, d.entries, d.bits),
    );
  }
  return { bits: bits as 8 | 16, firstMapped, red: tables[0]!, green: tables[1]!, blue: tables[2]! };
}

/** Indices (stored values) to interleaved RGB through the palette. */
export function applyPalette(indices: ArrayLike<number>, palette: Palette): Uint8Array | Uint16Array {
  const out = palette.bits === 8 ? new Uint8Array(indices.length * 3) : new Uint16Array(indices.length * 3);
  const { red, green, blue, firstMapped } = palette;
  const last = red.length - 1;
  for (let i = 0; i < indices.length; i++) {
    const at = indices[i]! - firstMapped;
    const entry = at < 0 ? 0 : at > last ? last : at;
    out[3 * i] = red[entry]!;
    out[3 * i + 1] = green[entry] ?? green[green.length - 1]!;
    out[3 * i + 2] = blue[entry] ?? blue[blue.length - 1]!;
  }
  return out;
}

function bigEndian(dataSet: DataSet): boolean {
  return dataSet.byteArrayParser === dicomParser.bigEndianByteArrayParser;
}
