/**
 * Limits that keep a hostile or broken file from hurting the app. Every size is checked against
 * these before anything is allocated for it.
 */

/** Largest decoded image (all frames together) Loupe accepts: 1 GiB, a 512×512×2000 CT series in one file. */
export const MAX_DECODED_BYTES = 1024 ** 3;

/** Largest file Loupe reads into memory; a bigger one is refused unread. */
export const MAX_FILE_BYTES = MAX_DECODED_BYTES;

/** Rows and Columns are 16-bit in DICOM; raster files get the same bound. */
export const MAX_DIMENSION = 65_535;

/** Deepest sequence nesting followed. Real files nest a handful of levels; the issue asks for a bound of 128. */
export const MAX_SEQUENCE_DEPTH = 128;

/** Per-file decode time cap in the import pool: a stuck decoder is terminated after this. */
export const DECODE_TIME_CAP_MS = 30_000;

/** Deflated DICOM inflates into at most this many bytes (a zip bomb stops here). */
export const MAX_INFLATED_BYTES = MAX_DECODED_BYTES;
