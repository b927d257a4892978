/**
 * Loupe's decode API, shared by the imaging service (import, viewer) and the engine's data
 * pipeline. Every failure is a DecodeError with a `failure` kind and a message for the user.
 *
 *   const image = await openImage(await readImageBytes(path));   // parse + check, no pixels yet
 *   const frame = await image.decodeFrame(0);                    // stored values of frame 0
 *   // or in one step:
 *   const { info, frame } = await decodeFile(path, { frame: 0 });
 */
import { closeSync, fstatSync, openSync, promises as fs, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { imageInfoSchema, type ImageInfo } from '../../contract/channels/imaging';
import { dicomLayout, hasDicmMarker } from './dicom/dataset';
import { decodeDicomFrame, decodedInfo, openDicom } from './dicom/decode';
import { DecodeError } from './errors';
import { MAX_FILE_BYTES } from './limits';
import { isNiftiFile, openNifti } from './nifti';
import { isGzip } from './nifti/inflate';
import { decodeRasterFrame, openRaster, sniffRaster } from './raster';
import type { DecodeOptions, DecodedFrame, DecodedImage } from './types';

export type { DecodedFrame, DecodedImage, DecodeOptions } from './types';
export { DecodeError, isDecodeError } from './errors';
export { MAX_DECODED_BYTES, MAX_FILE_BYTES, DECODE_TIME_CAP_MS } from './limits';
export { TRANSFER_SYNTAXES, transferSyntaxNamed } from './dicom/transfer-syntax';

export interface OpenedImage {
  /** Geometry, pixel format and identifiers; only the fields of ImageInfo. */
  readonly info: ImageInfo;
  /**
   * `overwrite`: the caller needs the file's bytes no more and decodes this frame only once, so a
   * DICOM frame's stored values may be written over its own bytes instead of into a new array.
   */
  decodeFrame(frame: number, options?: { overwrite?: boolean }): Promise<DecodedFrame>;
}

/**
 * Reads a file for decoding, refusing empty, oversized and unreadable files with a DecodeError.
 * `into`: where to read a file of `size` bytes (a buffer its caller reuses), instead of a new array.
 */
export async function readImageBytes(file: string, into?: (size: number) => Uint8Array): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const bytes = bufferFor(file, await handle.stat(), into);
    let read = 0;
    while (read < bytes.length) {
      const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === bytes.length ? bytes : bytes.subarray(0, read);
  } catch (error) {
    throw error instanceof DecodeError ? error : unreadable(file, error);
  } finally {
    await handle.close();
  }
}

/**
 * readImageBytes with blocking calls, for a decode worker's batch reads: the worker has nothing
 * else to do meanwhile, and the four awaited calls of a read (open, stat, read, close) each went
 * through libuv's thread pool and back, about 0.3 ms of CPU a file across the threads, more than
 * decoding a small PNG takes.
 */
export function readImageBytesSync(file: string, into?: (size: number) => Uint8Array): Uint8Array {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const bytes = bufferFor(file, fstatSync(fd), into);
    let read = 0;
    while (read < bytes.length) {
      const bytesRead = readSync(fd, bytes, read, bytes.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === bytes.length ? bytes : bytes.subarray(0, read);
  } catch (error) {
    throw error instanceof DecodeError ? error : unreadable(file, error);
  } finally {
    closeSync(fd);
  }
}

/** Where to read a file of this stat: refuses anything but a regular file of 1 byte to MAX_FILE_BYTES. */
function bufferFor(file: string, stat: Stats, into?: (size: number) => Uint8Array): Uint8Array {
  if (!stat.isFile()) throw new DecodeError('unreadable', `${path.basename(file)} is not a regular file.`);
  if (stat.size === 0) throw new DecodeError('empty', 'This file is empty (0 bytes).');
  if (stat.size > MAX_FILE_BYTES)
    throw new DecodeError(
      'too-large',
      `This file is ${(stat.size / 1024 ** 3).toFixed(1)} GiB, larger than Loupe reads (1 GiB).`,
    );
  return into ? into(stat.size) : new Uint8Array(stat.size);
}

function unreadable(file: string, error: unknown): DecodeError {
  const code = (error as NodeJS.ErrnoException).code;
  const name = path.basename(file);
  const message =
    code === 'ENOENT'
      ? `There is no file ${name} at this path (it was moved, deleted, or is a broken link).`
      : code === 'EACCES' || code === 'EPERM'
        ? `Loupe may not read ${name} (permission denied).`
        : code === 'EISDIR'
          ? `${name} is a folder, not a file.`
          : `${name} could not be read (${code ?? (error as Error).message}).`;
  return new DecodeError('unreadable', message, { cause: error });
}

/** Parses and checks an image (DICOM, NIfTI or raster) without decoding its pixels. */
export async function openImage(bytes: Uint8Array, fileName = ''): Promise<OpenedImage> {
  if (bytes.length === 0) throw new DecodeError('empty', 'This file is empty (0 bytes).');
  // Before DICOM: a NIfTI header's first bytes could pass for a bare DICOM data set's first tag.
  if (isNiftiFile(bytes)) {
    const opened = openNifti(bytes);
    return { info: imageInfoSchema.parse(opened.info), decodeFrame: async (frame) => opened.decodeFrame(frame) };
  }
  const format = hasDicmMarker(bytes) ? null : sniffRaster(bytes);
  // Raster signatures first: a bare DICOM data set is recognised by its first tag, a weaker sign.
  if (!format && dicomLayout(bytes)) {
    const opened = openDicom(bytes);
    return {
      info: imageInfoSchema.parse(decodedInfo(opened.info)),
      decodeFrame: (frame, options) => decodeDicomFrame(opened, frame, options?.overwrite ?? false),
    };
  }
  if (!format) {
    throw new DecodeError(
      'not-an-image',
      /\.nii(\.gz)?$/i.test(fileName)
        ? 'This file is named like NIfTI but has no NIfTI-1 or NIfTI-2 header (it is cut short, or not NIfTI).'
        : isGzip(bytes)
          ? 'This file is gzip-compressed and holds no NIfTI volume; if it is a compressed DICOM or image file, unzip it and import the result.'
          : /\.(dcm|dicom|ima)$/i.test(fileName)
            ? 'This file is named like DICOM but is not a DICOM file (no "DICM" marker at byte 128).'
            : 'This is neither a DICOM file nor an image format Loupe reads (PNG, JPEG, TIFF, WebP, GIF, NIfTI).',
    );
  }
  const opened = await openRaster(bytes, format);
  return { info: opened.info, decodeFrame: (frame) => decodeRasterFrame(bytes, opened, frame) };
}

/** Reads (when given a path), opens and decodes one frame. */
export async function decodeFile(source: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const bytes = typeof source === 'string' ? await readImageBytes(source) : source;
  const image = await openImage(bytes, typeof source === 'string' ? path.basename(source) : '');
  return { info: image.info, frame: await image.decodeFrame(options.frame ?? 0) };
}
