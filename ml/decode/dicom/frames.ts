/**
 * Finding one frame's bytes in the Pixel Data element: a slice for native data, or the frame's
 * fragments for encapsulated data (PS3.5 A.4), with or without a Basic Offset Table.
 */
import { DecodeError } from '../errors';
import type { DicomImageInfo } from './info';
import type { DataSet, Element, Fragment } from './parser-lib';

/** Bytes of one native frame. YBR_FULL_422 stores two luma samples per chroma pair (PS3.3 C.7.6.3.1.2). */
export function nativeFrameBytes(info: DicomImageInfo): number {
  const bytesPerSample = info.bitsAllocated / 8;
  const samplesPerPixel = info.sourcePhotometricInterpretation === 'YBR_FULL_422' ? 2 : info.samplesPerPixel;
  return info.rows * info.columns * samplesPerPixel * bytesPerSample;
}

export function nativeFrame(dataSet: DataSet, element: Element, info: DicomImageInfo, frame: number): Uint8Array {
  const frameBytes = nativeFrameBytes(info);
  const needed = frameBytes * info.frames;
  const available = Math.min(element.length, dataSet.byteArray.length - element.dataOffset);
  if (available < needed) {
    throw new DecodeError(
      'truncated-pixels',
      `The pixel data holds ${Math.max(0, available)} bytes, but ${info.columns}×${info.rows}${info.frames > 1 ? ` × ${info.frames} frames` : ''} needs ${needed}; the file is truncated or damaged.`,
    );
  }
  const start = element.dataOffset + frame * frameBytes;
  return dataSet.byteArray.subarray(start, start + frameBytes);
}

function startsFrame(bytes: Uint8Array, fragment: Fragment): boolean {
  const a = bytes[fragment.position];
  const b = bytes[fragment.position + 1];
  // JPEG SOI (FFD8) or JPEG 2000 SOC (FF4F).
  return a === 0xff && (b === 0xd8 || b === 0x4f);
}

export function encapsulatedFrame(dataSet: DataSet, element: Element, frames: number, frame: number): Uint8Array {
  const bytes = dataSet.byteArray;
  const fragments = element.fragments ?? [];
  if (fragments.length === 0)
    throw new DecodeError('truncated-pixels', 'The compressed pixel data holds no fragments; the image is missing.');
  for (const fragment of fragments) {
    if (fragment.position + fragment.length > bytes.length)
      throw new DecodeError(
        'truncated-pixels',
        'A pixel data fragment runs past the end of the file; the file is truncated.',
      );
  }
  const table = element.basicOffsetTable ?? [];
  let chosen: Fragment[];
  if (table.length > 0) {
    if (table.length !== frames)
      throw new DecodeError('malformed', `The offset table lists ${table.length} frames but the file says ${frames}.`);
    const start = table[frame]!;
    const end = frame + 1 < table.length ? table[frame + 1]! : Number.POSITIVE_INFINITY;
    chosen = fragments.filter((f) => f.offset >= start && f.offset < end);
  } else if (frames === 1) {
    chosen = fragments;
  } else if (fragments.length === frames) {
    chosen = [fragments[frame]!];
  } else {
    const groups: Fragment[][] = [];
    for (const fragment of fragments) {
      if (groups.length === 0 || startsFrame(bytes, fragment)) groups.push([]);
      groups.at(-1)!.push(fragment);
    }
    if (groups.length !== frames)
      throw new DecodeError(
        'malformed',
        `The compressed pixel data holds ${groups.length} frames but the file says ${frames}.`,
      );
    chosen = groups[frame]!;
  }
  if (chosen.length === 0)
    throw new DecodeError('truncated-pixels', `Frame ${frame + 1} has no compressed data in this file.`);
  if (chosen.length === 1) return bytes.subarray(chosen[0]!.position, chosen[0]!.position + chosen[0]!.length);
  const total = chosen.reduce((sum, f) => sum + f.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const fragment of chosen) {
    joined.set(bytes.subarray(fragment.position, fragment.position + fragment.length), at);
    at += fragment.length;
  }
  return joined;
}
