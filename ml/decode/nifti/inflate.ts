/**
 * Gunzipping a .nii.gz within the memory budget, as deflated DICOM is inflated: a gzip stream
 * does not say how large it inflates (its ISIZE trailer is mod 2^32 and may lie), so the first few
 * KiB are inflated to read the header, the voxel bytes it declares are checked against the limits,
 * and the whole file is then inflated with zlib's `maxOutputLength` set to the header's vox_offset
 * plus those voxel bytes plus MAX_INFLATED_HEADER_BYTES of slack. A gzip bomb stops at that cap.
 */
import { constants, gunzipSync } from 'node:zlib';
import { DecodeError } from '../errors';
import { INFLATE_PEEK_BYTES, MAX_INFLATED_HEADER_BYTES, formatBytes } from '../limits';
import { headerBytesNeeded, isNiftiHeader, parseNiftiHeader, type NiftiHeader } from './header';

/**
 * zlib's output chunk for a whole volume: 1 MiB instead of its 16 KiB default, so a 100 MiB CT
 * volume is joined from a hundred chunks rather than thousands (it inflated 10–30 % faster here).
 */
const INFLATE_CHUNK_BYTES = 1024 ** 2;

/** CRC-32 and ISIZE after the deflate data (RFC 1952). */
const GZIP_TRAILER_BYTES = 8;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

/**
 * The start of the inflated stream, at least `want` bytes when the stream holds that many; null
 * when the bytes are no gzip stream zlib can begin to inflate.
 */
function peek(gz: Uint8Array, want: number): Uint8Array | null {
  // Without the trailer: a damaged CRC is reported when the whole file inflates, not as "no NIfTI".
  const body = gz.subarray(0, Math.max(0, gz.length - GZIP_TRAILER_BYTES));
  for (let input = INFLATE_PEEK_BYTES; ; input *= 2) {
    let partial: Buffer;
    try {
      // Z_SYNC_FLUSH: inflate what this prefix holds instead of failing on the missing end.
      partial = gunzipSync(body.subarray(0, input), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_INFLATED_HEADER_BYTES,
      });
    } catch {
      // Damaged, or a prefix that inflates past the cap before yielding a header: no NIfTI here.
      return null;
    }
    if (partial.length >= want || input >= body.length) return partial;
  }
}

/** True when these gzip bytes start with a NIfTI header (inflating only their first KiB). */
export function isGzippedNifti(bytes: Uint8Array): boolean {
  if (!isGzip(bytes)) return false;
  const start = peek(bytes, 8);
  return start !== null && isNiftiHeader(start);
}

/** The header of a .nii.gz, read from its first inflated bytes. */
export function gzippedHeader(gz: Uint8Array): NiftiHeader {
  const start = peek(gz, 8);
  const need = start ? headerBytesNeeded(start) : 0;
  const header = need > 0 ? peek(gz, need) : null;
  if (!header || header.length < need)
    throw new DecodeError('malformed', 'This .nii.gz file ends (or its gzip data breaks off) inside the NIfTI header.');
  return parseNiftiHeader(header);
}

/**
 * The whole inflated file, refused when it inflates past what its header declares plus the
 * slack, or when the gzip data is damaged.
 */
export function gunzipNifti(gz: Uint8Array, declaredBytes: number): Uint8Array {
  const cap = declaredBytes + MAX_INFLATED_HEADER_BYTES;
  try {
    return gunzipSync(gz, { maxOutputLength: cap, chunkSize: INFLATE_CHUNK_BYTES });
  } catch (error) {
    if (isTooLarge(error))
      throw new DecodeError(
        'too-large',
        `This .nii.gz file inflates to more than the ${formatBytes(declaredBytes)} its header declares (plus ${formatBytes(MAX_INFLATED_HEADER_BYTES)} of slack); it was skipped as a possible gzip bomb.`,
      );
    // A cut stream: zlib says "unexpected end of file"; keep what inflates so the size check names it.
    try {
      return gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: cap });
    } catch (inner) {
      throw new DecodeError('malformed', 'The gzip data of this .nii.gz file is damaged and cannot be inflated.', {
        cause: inner,
      });
    }
  }
}

function isTooLarge(error: unknown): boolean {
  return error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}
