/**
 * Native pixel cells other than 8 and 16 bits (PS3.5 §8.1.1, PS3.3 C.7.6.3, C.7.6.24): 1-bit
 * cells packed eight to a byte (first pixel in the least significant bit, frames packed one after
 * another with no padding), 32-bit integers, and 32/64-bit floats. 1-bit frames arrive as bytes of
 * 0 and 1; the wider ones as 32-bit floats, the one wide type the viewer and engine take
 * (integers are exact up to 2^24, doubles keep float precision).
 */
import type { PixelArray } from '../../../contract/channels/imaging';
import { DecodeError } from '../errors';
import type { DicomImageInfo } from './info';
import type { DataSet, Element } from './parser-lib';

function available(dataSet: DataSet, element: Element): number {
  return Math.max(0, Math.min(element.length, dataSet.byteArray.length - element.dataOffset));
}

function truncated(info: DicomImageInfo, have: number, need: number): DecodeError {
  return new DecodeError(
    'truncated-pixels',
    `The pixel data holds ${have} bytes, but ${info.columns}×${info.rows}${info.frames > 1 ? ` × ${info.frames} frames` : ''} of ${info.bitsAllocated}-bit cells needs ${need}; the file is truncated or damaged.`,
  );
}

export function readOtherCells(
  dataSet: DataSet,
  element: Element,
  info: DicomImageInfo,
  frame: number,
  bigEndian: boolean,
): PixelArray {
  const pixels = info.rows * info.columns;
  const have = available(dataSet, element);
  const bytes = dataSet.byteArray;
  if (info.bitsAllocated === 1) {
    const need = Math.ceil((pixels * info.frames) / 8);
    if (have < need) throw truncated(info, have, need);
    const out = new Uint8Array(pixels);
    const firstBit = frame * pixels;
    for (let i = 0; i < pixels; i++) {
      const bit = firstBit + i;
      out[i] = (bytes[element.dataOffset + (bit >> 3)]! >> (bit & 7)) & 1;
    }
    return out;
  }
  const cellBytes = info.bitsAllocated / 8;
  const count = pixels * info.samplesPerPixel;
  const need = count * info.frames * cellBytes;
  if (have < need) throw truncated(info, have, need);
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + element.dataOffset + frame * count * cellBytes,
    count * cellBytes,
  );
  const little = !bigEndian;
  if (info.pixelTag === 'x7fe00009' || info.pixelTag === 'x7fe00008') {
    const out = new Float32Array(count);
    if (info.pixelTag === 'x7fe00009') for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, little);
    else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, little);
    return out;
  }
  const cells = new Uint32Array(count);
  for (let i = 0; i < count; i++) cells[i] = view.getUint32(4 * i, little);
  return wideStoredValues(cells, info, info.planarConfiguration === 1 ? 'planar' : 'interleaved');
}

/**
 * 32-bit integer cells to stored values: BitsStored bits below HighBit, sign-extended when Pixel
 * Representation is 1, colour interleaved. As floats, exact up to 2^24.
 */
export function wideStoredValues(
  cells: Uint32Array,
  info: DicomImageInfo,
  layout: 'planar' | 'interleaved',
): Float32Array {
  const shift = info.highBit + 1 - info.bitsStored;
  const unused = 32 - info.bitsStored;
  const out = new Float32Array(cells.length);
  const samples = info.samplesPerPixel;
  const pixels = cells.length / samples;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]! >>> shift;
    // Planar (RRR…GGG…BBB…) sample i is sample i / pixels of pixel i % pixels.
    const at = layout === 'planar' && samples > 1 ? (i % pixels) * samples + Math.floor(i / pixels) : i;
    out[at] =
      info.pixelRepresentation === 1
        ? (cell << unused) >> unused
        : unused === 0
          ? cell
          : cell & (2 ** info.bitsStored - 1);
  }
  return out;
}
