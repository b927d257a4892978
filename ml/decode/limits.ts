/**
 * Limits that keep a hostile or broken file from hurting the app, decided once here and imported
 * by every step that reads pixels: reading the file, parsing and inflating DICOM, decoding
 * rasters (sharp), rendering thumbnails (sharp again), the decode pool's workers, and training
 * input. Every size is checked against these before anything is allocated for it, and each
 * refusal is a DecodeError('too-large') whose message names the limit.
 */
import { MAX_FRAME_SIDE } from '../../contract/training/dataset';
import { DecodeError } from './errors';

/** Largest decoded image (all frames together) Loupe accepts: 1 GiB, a 512×512×2000 CT series in one file. */
export const MAX_DECODED_BYTES = 1024 ** 3;

/** Largest file Loupe reads into memory; a bigger one is refused unread. */
export const MAX_FILE_BYTES = MAX_DECODED_BYTES;

/** Rows and Columns are 16-bit in DICOM; raster files get the same bound. */
export const MAX_DIMENSION = 65_535;

/**
 * Most pixels in one frame: 16384², the largest frame the engine takes as training or prediction
 * input (the contract's MAX_FRAME_SIDE), so whatever imports also trains. sharp is given this limit
 * instead of its own default (16383²). It is 11× a 4096 × 5624 mammogram, the largest projection
 * images Loupe is meant for; gigapixel slide scans are out of scope. A 20000² PNG (400 megapixels)
 * is refused here, before sharp decodes anything.
 */
export const MAX_FRAME_PIXELS = MAX_FRAME_SIDE ** 2;

/** Deepest sequence nesting followed. Real files nest a handful of levels; the issue asks for a bound of 128. */
export const MAX_SEQUENCE_DEPTH = 128;

/** Per-file decode time cap in the import pool: a stuck decoder is terminated after this. */
export const DECODE_TIME_CAP_MS = 30_000;

/**
 * Inflated bytes of a deflated DICOM data set that are not pixels (the header, sequences, icon
 * images, trailing padding): 16 MiB. The whole data set may inflate to at most this plus the pixel
 * bytes its header declares; a deflate bomb stops here instead of at the 1 GiB decoded limit.
 */
export const MAX_INFLATED_HEADER_BYTES = 16 * 1024 ** 2;

/**
 * Compressed bytes inflated first to read Rows, Columns and the pixel format of a deflated DICOM
 * file before inflating the rest. Deflate expands at most 1032:1 (RFC 1951 blocks of 258-byte
 * matches), so 4 KiB never inflates to more than 4.2 MiB; the peek doubles until the header is
 * found or MAX_INFLATED_HEADER_BYTES is reached.
 */
export const INFLATE_PEEK_BYTES = 4 * 1024;

/**
 * Peak memory of one decode at the limits above: the file (MAX_FILE_BYTES), the decoded frame
 * (MAX_DECODED_BYTES) and one working copy (the thumbnail's 8-bit display values, or zlib's
 * chunk list while a deflated file is joined) — 3 GiB. The pool starts no more workers than free
 * memory holds at this size each.
 */
export const DECODE_MEMORY_PER_WORKER = MAX_FILE_BYTES + 2 * MAX_DECODED_BYTES;

/**
 * V8 heap of a decode worker (worker_threads `resourceLimits.maxOldGenerationSizeMb`). Pixels live
 * in ArrayBuffers outside this heap; what grows inside it is dicom-parser's element objects, a few
 * hundred bytes each, so 512 MiB holds millions of elements and stops a file that declares more.
 */
export const DECODE_WORKER_HEAP_MB = 512;

/** Most decode workers: decoding is also disk-bound, and more workers only multiply peak memory. */
export const MAX_DECODE_WORKERS = 4;

/**
 * Decode workers for a machine: the cores but one where a window must stay responsive (the app),
 * every core for the headless CLI, no more than free memory holds at DECODE_MEMORY_PER_WORKER
 * each, at most MAX_DECODE_WORKERS, and at least one. `loupe predict` on 2 cores with a second
 * worker: 500 CT slices in 3.2–3.3 s instead of 4.1, 2,000 small PNGs in 4.3–5.4 s instead of 4.9–6.5.
 */
export function decodeWorkerCount(cores: number, freeMemoryBytes: number, headless = false): number {
  const byMemory = Math.floor(freeMemoryBytes / DECODE_MEMORY_PER_WORKER);
  return Math.max(1, Math.min(MAX_DECODE_WORKERS, headless ? cores : cores - 1, byMemory));
}

const MEGAPIXEL = 1_000_000;

/** Refuses a frame with more pixels than MAX_FRAME_PIXELS (or no pixels), before anything is decoded. */
export function checkFramePixels(columns: number, rows: number): void {
  if (!(columns > 0 && rows > 0))
    throw new DecodeError(
      'too-large',
      `This image is ${columns || '?'}×${rows || '?'} pixels; it has no pixels to show.`,
    );
  if (columns > MAX_DIMENSION || rows > MAX_DIMENSION || columns * rows > MAX_FRAME_PIXELS) {
    throw new DecodeError(
      'too-large',
      `This image is ${columns}×${rows} pixels (${Math.round((columns * rows) / MEGAPIXEL)} megapixels), more than Loupe's limit of ${Math.round(MAX_FRAME_PIXELS / MEGAPIXEL)} megapixels per frame; it was skipped.`,
    );
  }
}

/** Refuses an image whose decoded frames together would take more than MAX_DECODED_BYTES. */
export function checkDecodedBytes(bytes: number, what: string): void {
  if (bytes > MAX_DECODED_BYTES) {
    throw new DecodeError(
      'too-large',
      `This image would take ${formatBytes(bytes)} decoded (${what}), more than Loupe's 1 GiB limit; it was skipped.`,
    );
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(0)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
