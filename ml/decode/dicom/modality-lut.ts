/**
 * The Modality LUT Sequence (PS3.3 C.11.1): when present it replaces Rescale Slope/Intercept, and
 * the modality values are the table's entries for the stored values (DCMTK's dcm2pnm renders it
 * so). Loupe hands on the looked-up values with slope 1 and intercept 0.
 */
import { DecodeError } from '../errors';
import { descriptor, tableData } from './palette';
import type { DataSet } from './parser-lib';

export interface ModalityLut {
  firstMapped: number;
  /** Bits per entry (at most 16). */
  bits: number;
  table: Uint16Array;
}

export function readModalityLut(dataSet: DataSet, signedStored: boolean): ModalityLut | null {
  const item = dataSet.elements.x00283000?.items?.[0]?.dataSet;
  if (!item) return null;
  const d = descriptor(item, 'x00283002', signedStored);
  if (d.bits < 1 || d.bits > 16)
    throw new DecodeError(
      'unsupported',
      `The Modality LUT has ${d.bits}-bit entries (0028,3002); Loupe reads up to 16.`,
    );
  return { firstMapped: d.first, bits: d.bits, table: tableData(item, 'x00283006', d.entries, d.bits > 8 ? 16 : 8) };
}

/** Stored values to modality values; values outside the table take its first or last entry. */
export function applyModalityLut(stored: ArrayLike<number>, lut: ModalityLut): Uint16Array {
  const out = new Uint16Array(stored.length);
  const last = lut.table.length - 1;
  for (let i = 0; i < stored.length; i++) {
    const at = stored[i]! - lut.firstMapped;
    out[i] = lut.table[at < 0 ? 0 : at > last ? last : at]!;
  }
  return out;
}
