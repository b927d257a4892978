/**
 * From a codec's (or the file's) samples to the stored values Loupe hands on: only BitsStored
 * bits kept (PS3.5 §8.1.1: bits outside HighBit..HighBit-BitsStored+1 may hold anything), signed
 * values sign-extended, colour interleaved and in RGB.
 */
import type { PixelArray } from '../../../contract/channels/imaging';
import type { CodecOutput } from '../codecs/types';
import { DecodeError } from '../errors';
import type { DicomImageInfo } from './info';

/** The smallest and largest value of a frame. */
export interface ValueRange {
  minValue: number;
  maxValue: number;
}

/** Whether the stored values are the samples as they are (every allocated bit stored), so storedValues copies nothing. */
export function storesWholeSamples(info: DicomImageInfo): boolean {
  return info.highBit + 1 === info.bitsStored && info.bitsStored === info.bitsAllocated;
}

/**
 * Native bytes as 16-bit cells in the machine's (little-endian) order. `shared`: little-endian
 * 16-bit cells at an even offset are a view of `bytes`, not a copy, for a caller that copies them
 * anyway (storedValues, unless storesWholeSamples).
 */
export function nativeSamples(
  bytes: Uint8Array,
  info: DicomImageInfo,
  bigEndian: boolean,
  byteSwappedOW: boolean,
  shared = false,
): Uint8Array | Uint16Array {
  if (info.bitsAllocated === 8) {
    if (!byteSwappedOW) return bytes.slice();
    // 8-bit data in an OW element of a big-endian file: each 16-bit word's bytes are swapped.
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      out[i] = bytes[i + 1]!;
      out[i + 1] = bytes[i]!;
    }
    return out;
  }
  const count = bytes.length >> 1;
  if (shared && !bigEndian && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Uint16Array(count);
  if (bigEndian) {
    for (let i = 0; i < count; i++) out[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  } else {
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 2));
  }
  return out;
}

/**
 * Values the loops below work on a chunk at a time, in scratch arrays of one type each. A frame's
 * own array is of one of five types, and a loop that reads several types runs as generic code
 * (megamorphic element access in V8): in a decode worker that had seen 8- and 16-bit frames,
 * keeping 12 of 16 bits and finding the range took 2 ms of a 512² CT slice's 6. The engine's
 * native typed-array copy (`set`) moves values into and out of the scratch, exactly, since an
 * int32 holds every 8- and 16-bit value and a float64 every value of the five types.
 */
const CHUNK = 1 << 16;
const wholeValues = new Int32Array(CHUNK);
const anyValues = new Float64Array(CHUNK);

/**
 * Keeps BitsStored bits below HighBit and sign-extends them when PixelRepresentation is 1. Where
 * that takes a pass over the values, their range comes from the same pass (else `range` is null).
 * `inPlace`: the values are written over `samples` (of the same cell size) rather than into a new
 * array. A fresh half-megabyte array for each 512² CT slice cost more than the pass over it.
 *
 * The pass is two shifts a value: HighBit up to bit 31, then down by 32 − BitsStored, arithmetic
 * for signed values (which sign-extends them), logical for unsigned ones; and the range is kept in
 * int32s. A branch on the sign bit, and a range that started at ±2³¹ (a double, so V8 compared
 * doubles), made it 3.3× (signed) and 1.6× (unsigned) slower on a 512² 12-bit slice.
 */
export function storedValues(
  samples: Uint8Array | Uint16Array | Int16Array,
  info: DicomImageInfo,
  inPlace = false,
): { values: Uint8Array | Int8Array | Uint16Array | Int16Array; range: ValueRange | null } {
  const { bitsStored, highBit, bitsAllocated } = info;
  const signed = info.pixelRepresentation === 1;
  const whole = highBit + 1 === bitsStored && bitsStored === bitsAllocated;
  const up = 31 - highBit;
  const down = 32 - bitsStored;
  if (bitsAllocated === 8 && samples instanceof Uint8Array) {
    if (whole)
      return {
        values: signed ? new Int8Array(samples.buffer, samples.byteOffset, samples.length) : samples,
        range: null,
      };
  }
  if (bitsAllocated === 16 && whole && !(samples instanceof Uint8Array)) {
    const values = signed
      ? new Int16Array(samples.buffer, samples.byteOffset, samples.length)
      : new Uint16Array(samples.buffer, samples.byteOffset, samples.length);
    return { values, range: null };
  }
  const Out = bitsAllocated === 8 ? (signed ? Int8Array : Uint8Array) : signed ? Int16Array : Uint16Array;
  const sameCells = samples.BYTES_PER_ELEMENT === Out.BYTES_PER_ELEMENT;
  const out =
    inPlace && sameCells
      ? new Out(samples.buffer as ArrayBuffer, samples.byteOffset, samples.length)
      : new Out(samples.length);
  let min = 0x7fffffff;
  let max = -0x80000000;
  for (let start = 0; start < samples.length; start += CHUNK) {
    const count = Math.min(CHUNK, samples.length - start);
    wholeValues.set(samples.subarray(start, start + count));
    if (signed)
      for (let i = 0; i < count; i++) {
        const value = (wholeValues[i]! << up) >> down;
        wholeValues[i] = value;
        min = value < min ? value : min;
        max = value > max ? value : max;
      }
    else
      for (let i = 0; i < count; i++) {
        const value = (wholeValues[i]! << up) >>> down;
        wholeValues[i] = value;
        min = value < min ? value : min;
        max = value > max ? value : max;
      }
    out.set(wholeValues.subarray(0, count), start);
  }
  return { values: out, range: samples.length === 0 ? { minValue: 0, maxValue: 0 } : { minValue: min, maxValue: max } };
}

/** Planar (RRR…GGG…BBB…) to interleaved (RGBRGB…). */
export function interleave<T extends Uint8Array | Int8Array | Uint16Array | Int16Array>(planes: T, pixels: number): T {
  const out = new (planes.constructor as new (length: number) => T)(planes.length);
  for (let i = 0; i < pixels; i++) {
    out[3 * i] = planes[i]!;
    out[3 * i + 1] = planes[pixels + i]!;
    out[3 * i + 2] = planes[2 * pixels + i]!;
  }
  return out;
}

/** YBR_FULL to RGB for 8-bit samples, by the equations of PS3.3 C.7.6.3.1.2, in place. */
export function ybrFullToRgb(data: Uint8Array): void {
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = clamp8(y + 1.402 * cr);
    data[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
    data[i + 2] = clamp8(y + 1.772 * cb);
  }
}

function clamp8(value: number): number {
  const rounded = Math.round(value);
  return rounded < 0 ? 0 : rounded > 255 ? 255 : rounded;
}

/** Native YBR_FULL_422 (Y1 Y2 Cb Cr per pair of pixels along a row) to interleaved YBR_FULL. */
export function expandYbr422(data: Uint8Array, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns * 3);
  let read = 0;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column += 2) {
      const y1 = data[read]!;
      const y2 = data[read + 1]!;
      const cb = data[read + 2]!;
      const cr = data[read + 3]!;
      read += 4;
      const at = (row * columns + column) * 3;
      out.set([y1, cb, cr], at);
      if (column + 1 < columns) out.set([y2, cb, cr], at + 3);
    }
  }
  return out;
}

/**
 * Turns what a codec (or the native reader) produced into final stored values; for one sample per
 * pixel, their range where storedValues had it. `inPlace`: as storedValues, for samples the caller
 * lets it write over.
 */
export function finishFrame(
  output: CodecOutput,
  info: DicomImageInfo,
  inPlace = false,
): { values: Uint8Array | Int8Array | Uint16Array | Int16Array; range: ValueRange | null } {
  const pixels = info.rows * info.columns;
  const stored = storedValues(output.samples, info, inPlace);
  if (info.samplesPerPixel === 1) return stored;
  let values = stored.values;
  if (output.layout === 'planar') values = interleave(values, pixels);
  if (output.rgb || info.sourcePhotometricInterpretation === 'RGB') return { values, range: null };
  if (info.sourcePhotometricInterpretation === 'YBR_FULL' || info.sourcePhotometricInterpretation === 'YBR_FULL_422') {
    if (!(values instanceof Uint8Array))
      throw new DecodeError('unsupported', 'YBR colour with more than 8 bits per sample is not supported.');
    ybrFullToRgb(values);
    return { values, range: null };
  }
  throw new DecodeError(
    'malformed',
    `${info.sourcePhotometricInterpretation} colour is only valid in JPEG 2000 files, not in this transfer syntax.`,
  );
}

export function valueRange(data: PixelArray): ValueRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let start = 0; start < data.length; start += CHUNK) {
    const count = Math.min(CHUNK, data.length - start);
    anyValues.set(data.subarray(start, start + count));
    for (let i = 0; i < count; i++) {
      const v = anyValues[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return data.length === 0 || !Number.isFinite(min) ? { minValue: 0, maxValue: 0 } : { minValue: min, maxValue: max };
}
