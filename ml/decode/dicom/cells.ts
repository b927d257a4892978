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
  const need = pixels * info.frames * cellBytes;
  if (have < need) throw truncated(info, have, need);
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + element.dataOffset + frame * pixels * cellBytes,
    pixels * cellBytes,
  );
  const out = new Float32Array(pixels);
  const little = !bigEndian;
  if (info.pixelTag === 'x7fe00009') {
    for (let i = 0; i < pixels; i++) out[i] = view.getFloat64(8 * i, little);
  } else if (info.pixelTag === 'x7fe00008') {
    for (let i = 0; i < pixels; i++) out[i] = view.getFloat32(4 * i, little);
  } else {
    // 32-bit integers: BitsStored bits below HighBit, sign-extended when Pixel Representation is 1.
    const shift = info.highBit + 1 - info.bitsStored;
    const unused = 32 - info.bitsStored;
    for (let i = 0; i < pixels; i++) {
      const cell = view.getUint32(4 * i, little) >>> shift;
      out[i] =
        info.pixelRepresentation === 1
          ? (cell << unused) >> unused
          : unused === 0
            ? cell
            : cell & (2 ** info.bitsStored - 1);
    }
  }
  return out;
}
