/**
 * Reads the size a compressed frame claims before any codec sees it. A frame whose codestream
 * disagrees with the DICOM header (or claims gigapixels) is refused here, before a codec
 * allocates memory for it.
 */
import { DecodeError } from '../errors';

export interface CodestreamSize {
  rows: number;
  columns: number;
  components: number;
  precision: number;
  /** JPEG start-of-frame marker (0xC0…0xCF, 0xF7 for JPEG-LS); absent for JPEG 2000. */
  marker?: number;
}

/** Markers without a length field (ITU T.81 Table B.1): TEM, RSTn, SOI, EOI. */
function standalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

function isStartOfFrame(marker: number): boolean {
  // C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frame headers.
  return (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
}

/** The frame header of a JPEG (any process) or JPEG-LS codestream. */
export function readJpegFrameHeader(bytes: Uint8Array): CodestreamSize {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new DecodeError('corrupt-pixels', 'The compressed pixel data does not start like a JPEG image.');
  }
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) {
      at += 1;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (standalone(marker)) {
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (isStartOfFrame(marker)) {
      if (at + 10 > bytes.length) break;
      return {
        marker,
        precision: bytes[at + 4]!,
        rows: (bytes[at + 5]! << 8) | bytes[at + 6]!,
        columns: (bytes[at + 7]! << 8) | bytes[at + 8]!,
        components: bytes[at + 9]!,
      };
    }
    if (marker === 0xda) break;
    at += 2 + length;
  }
  throw new DecodeError('corrupt-pixels', 'The compressed pixel data has no JPEG frame header.');
}

/** The SIZ segment of a JPEG 2000 codestream (bare, or inside a JP2 box). */
export function readJ2kSize(bytes: Uint8Array): CodestreamSize {
  const searchEnd = Math.min(bytes.length - 1, 1 << 16);
  for (let at = 0; at < searchEnd; at++) {
    if (bytes[at] !== 0xff || bytes[at + 1] !== 0x4f || bytes[at + 2] !== 0xff || bytes[at + 3] !== 0x51) continue;
    const siz = at + 4;
    if (siz + 40 > bytes.length) break;
    const view = new DataView(bytes.buffer, bytes.byteOffset + siz, 40);
    const width = view.getUint32(4) - view.getUint32(12);
    const height = view.getUint32(8) - view.getUint32(16);
    const components = view.getUint16(36);
    const ssiz = siz + 38 < bytes.length ? bytes[siz + 38]! : 0;
    return { rows: height, columns: width, components, precision: (ssiz & 0x7f) + 1 };
  }
  throw new DecodeError('corrupt-pixels', 'The compressed pixel data does not hold a JPEG 2000 codestream.');
}

/** Refuses a codestream whose size disagrees with what the DICOM header promised. */
export function expectSize(
  found: CodestreamSize,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  maxPrecision: number,
): void {
  if (found.rows !== rows || found.columns !== columns) {
    throw new DecodeError(
      'corrupt-pixels',
      `The compressed image is ${found.columns}×${found.rows} but the DICOM header says ${columns}×${rows}; the file is inconsistent.`,
    );
  }
  if (found.components !== samplesPerPixel) {
    throw new DecodeError(
      'corrupt-pixels',
      `The compressed image has ${found.components} components but the DICOM header says ${samplesPerPixel}.`,
    );
  }
  if (found.precision < 1 || found.precision > maxPrecision) {
    throw new DecodeError(
      'corrupt-pixels',
      `The compressed image has ${found.precision}-bit samples, which does not fit its ${maxPrecision}-bit pixel cells.`,
    );
  }
}
