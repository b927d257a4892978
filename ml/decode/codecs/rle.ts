/**
 * DICOM RLE lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, one segment
 * per byte plane (most significant byte first, then each sample), each PackBits-encoded.
 */
import { DecodeError } from '../errors';
import type { FrameCodec } from './types';

const HEADER_BYTES = 64;
const MAX_SEGMENTS = 15;

export const decodeRle: FrameCodec = async (encoded, geometry) => {
  const bytesPerSample = geometry.bitsAllocated / 8;
  const samplesPerPixel = geometry.samplesPerPixel;
  const pixels = geometry.rows * geometry.columns;
  const planes = readSegments(encoded, bytesPerSample * samplesPerPixel, pixels);
  if (bytesPerSample === 1) {
    const out = new Uint8Array(pixels * samplesPerPixel);
    for (let sample = 0; sample < samplesPerPixel; sample++) out.set(planes[sample]!, sample * pixels);
    return { samples: out, layout: samplesPerPixel > 1 ? 'planar' : 'interleaved', rgb: false };
  }
  const out = new Uint16Array(pixels * samplesPerPixel);
  for (let sample = 0; sample < samplesPerPixel; sample++) {
    const high = planes[sample * 2]!;
    const low = planes[sample * 2 + 1]!;
    const base = sample * pixels;
    for (let i = 0; i < pixels; i++) out[base + i] = (high[i]! << 8) | low[i]!;
  }
  return { samples: out, layout: samplesPerPixel > 1 ? 'planar' : 'interleaved', rgb: false };
};

/** 32-bit cells (four segments per sample, most significant byte first), planes one after another. */
export function decodeRle32(encoded: Uint8Array, rows: number, columns: number, samplesPerPixel: number): Uint32Array {
  const pixels = rows * columns;
  const planes = readSegments(encoded, 4 * samplesPerPixel, pixels);
  const out = new Uint32Array(pixels * samplesPerPixel);
  for (let sample = 0; sample < samplesPerPixel; sample++) {
    const [b3, b2, b1, b0] = planes.slice(4 * sample, 4 * sample + 4) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const base = sample * pixels;
    for (let i = 0; i < pixels; i++) out[base + i] = ((b3[i]! << 24) | (b2[i]! << 16) | (b1[i]! << 8) | b0[i]!) >>> 0;
  }
  return out;
}

/** The header's segments, each unpacked to one byte per pixel. */
function readSegments(encoded: Uint8Array, expectedSegments: number, pixels: number): Uint8Array[] {
  if (encoded.length < HEADER_BYTES)
    throw new DecodeError('corrupt-pixels', 'The RLE pixel data is shorter than its own header.');
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== expectedSegments || segments > MAX_SEGMENTS) {
    throw new DecodeError(
      'corrupt-pixels',
      `The RLE pixel data has ${segments} segments where ${expectedSegments} were expected.`,
    );
  }
  const planes: Uint8Array[] = [];
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < HEADER_BYTES || end > encoded.length || end < start) {
      throw new DecodeError('corrupt-pixels', 'An RLE segment offset points outside the pixel data.');
    }
    planes.push(unpackBits(encoded.subarray(start, end), pixels));
  }
  return planes;
}

/** PackBits: n in 0..127 copies n+1 literal bytes, n in -127..-1 repeats the next byte 1-n times, -128 is a no-op. */
function unpackBits(segment: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let read = 0;
  let written = 0;
  while (written < length && read < segment.length) {
    const n = (segment[read++]! << 24) >> 24;
    if (n >= 0) {
      const count = Math.min(n + 1, length - written, segment.length - read);
      out.set(segment.subarray(read, read + count), written);
      read += n + 1;
      written += count;
    } else if (n !== -128) {
      if (read >= segment.length) break;
      const count = Math.min(1 - n, length - written);
      out.fill(segment[read++]!, written, written + count);
      written += count;
    }
  }
  if (written < length)
    throw new DecodeError(
      'corrupt-pixels',
      `An RLE segment ends after ${written} of ${length} pixels; the file is damaged.`,
    );
  return out;
}
