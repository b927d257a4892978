/**
 * Inflating a Deflated Explicit VR Little Endian data set (PS3.5 A.5) within the memory budget.
 * A deflate stream does not say how large it inflates, and 0.9 MB of zeros inflates to 1 GiB, so
 * the header is inflated first (a few KiB of input at a time) to learn the pixel bytes it
 * declares; that size is checked against the limits, and the whole data set is then inflated
 * with zlib's `maxOutputLength` set to it plus MAX_INFLATED_HEADER_BYTES. A bomb stops at that
 * cap, whatever its header says.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { DecodeError } from '../errors';
import {
  INFLATE_PEEK_BYTES,
  MAX_INFLATED_HEADER_BYTES,
  checkDecodedBytes,
  checkFramePixels,
  formatBytes,
} from '../limits';
import dicomParser, { type Element } from './parser-lib';

const PIXEL_DATA = 'x7fe00010';
/** Tags sort in ascending order (PS3.5 7.1); once past group 0028 every image pixel attribute has been seen. */
const LAST_IMAGE_PIXEL_TAG = 'x0028ffff';

/** dicom-parser's inflater hook: the header bytes as they are, then the inflated data set. */
export function inflateDataSet(bytes: Uint8Array, position: number): Uint8Array {
  const deflated = bytes.subarray(position);
  const pixelBytes = declaredPixelBytes(deflated);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(deflated, { maxOutputLength: pixelBytes + MAX_INFLATED_HEADER_BYTES });
  } catch (error) {
    if (!isTooLarge(error)) throw damaged(error);
    throw new DecodeError(
      'too-large',
      `This deflated DICOM file inflates to more than the ${formatBytes(pixelBytes)} of pixels its header declares (plus ${formatBytes(MAX_INFLATED_HEADER_BYTES)} for the header); it was skipped as a possible deflate bomb.`,
    );
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(bytes.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/**
 * Pixel bytes the data set declares (Rows × Columns × Samples × bytes per sample × frames),
 * refused when above the limits; 0 when the data set ends without saying (info.ts then says
 * what is missing).
 */
function declaredPixelBytes(deflated: Uint8Array): number {
  for (let input = INFLATE_PEEK_BYTES; ; input *= 2) {
    let partial: Buffer;
    try {
      // Z_SYNC_FLUSH: inflate what this prefix holds instead of failing on the missing end.
      partial = inflateRawSync(deflated.subarray(0, input), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_INFLATED_HEADER_BYTES,
      });
    } catch (error) {
      if (!isTooLarge(error)) throw damaged(error);
      throw new DecodeError(
        'too-large',
        `The header of this deflated DICOM file inflates past ${formatBytes(MAX_INFLATED_HEADER_BYTES)} before it gives the image size; it was skipped as a possible deflate bomb.`,
      );
    }
    const header = readHeader(partial);
    if (header.complete || input >= deflated.length) return header.pixelBytes;
  }
}

/** The image geometry in a (possibly cut) inflated header; complete once the parser has passed group 0028. */
function readHeader(partial: Uint8Array): { complete: boolean; pixelBytes: number } {
  const elements: Record<string, Element> = {};
  const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, partial, 0);
  let complete = false;
  try {
    while (stream.position < partial.length && !complete) {
      const element = dicomParser.readDicomElementExplicit(stream, [], PIXEL_DATA);
      elements[element.tag] = element;
      complete = element.tag > LAST_IMAGE_PIXEL_TAG;
    }
  } catch {
    // A cut element at the end of the peek: the elements before it are kept.
  }
  const value = (tag: string): Uint8Array | null => {
    const element = elements[tag];
    return element && element.dataOffset + element.length <= partial.length
      ? partial.subarray(element.dataOffset, element.dataOffset + element.length)
      : null;
  };
  const us = (tag: string): number | null => {
    const bytes = value(tag);
    return bytes && bytes.length >= 2 ? bytes[0]! | (bytes[1]! << 8) : null;
  };
  const rows = us('x00280010');
  const columns = us('x00280011');
  if (rows === null || columns === null) return { complete, pixelBytes: 0 };
  checkFramePixels(columns, rows);
  const samples = us('x00280002') ?? 1;
  const bytesPerSample = Math.ceil((us('x00280100') ?? 16) / 8);
  const framesBytes = value('x00280008');
  // A bad Number of Frames (IS text) counts as 1 here; info.ts refuses it by name after parsing.
  const frames = Math.max(1, Math.floor(Number(framesBytes ? Buffer.from(framesBytes).toString('latin1') : '1')) || 1);
  const pixelBytes = rows * columns * samples * bytesPerSample * frames;
  checkDecodedBytes(
    pixelBytes,
    `${columns}×${rows}, ${frames} frame${frames === 1 ? '' : 's'}, as its deflated header declares`,
  );
  return { complete, pixelBytes };
}

function isTooLarge(error: unknown): boolean {
  return error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

function damaged(error: unknown): DecodeError {
  return new DecodeError('malformed', 'The deflated data of this DICOM file is damaged and cannot be inflated.', {
    cause: error,
  });
}
