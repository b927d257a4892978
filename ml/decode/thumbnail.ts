/**
 * Thumbnails for the grid: the frame through its default window (the file's first window, or
 * the frame's value range), MONOCHROME1 inverted, scaled to fit THUMBNAIL_SIZE, as WebP.
 */
import path from 'node:path';
import { MAX_FRAME_PIXELS, checkFramePixels } from './limits';
import { loadSharp } from './sharp-module';
import type { DecodedFrame } from './types';

/** Longest side of a thumbnail in pixels: the grid shows them at up to 160 px on a 2× display at 80 px. */
export const THUMBNAIL_SIZE = 160;
/** WebP quality of thumbnails; they are previews, never analysed. */
const THUMBNAIL_QUALITY = 80;

/** The workspace's folder of thumbnails. */
export const THUMBNAILS_FOLDER = 'thumbnails';

/** Where a thumbnail lives in the workspace: named by the content hash only, never by anything in the file. */
export function thumbnailPath(workspaceRoot: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('A thumbnail is named by a SHA-256 hex digest.');
  return path.join(workspaceRoot, THUMBNAILS_FOLDER, sha256.slice(0, 2), `${sha256}.webp`);
}

/** 8-bit display values of a frame through the linear VOI function of PS3.3 C.11.2.1.2. */
export function displayBytes(frame: DecodedFrame): Uint8Array {
  const { data, samplesPerPixel } = frame;
  const out = new Uint8Array(data.length);
  if (samplesPerPixel === 3) {
    const shift = frame.bitsAllocated > 8 ? frame.bitsStored - 8 : 0;
    // Division, not >>: 32-bit colour arrives as floats above 2^31.
    const scale = 2 ** shift;
    for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.floor(data[i]! / scale)));
    return out;
  }
  const slope = frame.rescaleSlope;
  const intercept = frame.rescaleIntercept;
  let center = frame.windowCenter;
  let width = frame.windowWidth;
  if (center === null || width === null) {
    const low = frame.minValue * slope + intercept;
    const high = frame.maxValue * slope + intercept;
    center = (low + high) / 2;
    width = Math.max(1, Math.abs(high - low));
  }
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const bottom = center - 0.5 - (width - 1) / 2;
  const scale = 255 / Math.max(1, width - 1);
  for (let i = 0; i < data.length; i++) {
    const value = data[i]! * slope + intercept;
    const level = Math.max(0, Math.min(255, Math.round((value - bottom) * scale)));
    out[i] = invert ? 255 - level : level;
  }
  return out;
}

export async function renderThumbnail(frame: DecodedFrame): Promise<Uint8Array> {
  checkFramePixels(frame.columns, frame.rows);
  const pixels = displayBytes(frame);
  // The decoders refuse frames above MAX_FRAME_PIXELS; the same limit here (not sharp's default)
  // keeps the two in step, and the check above makes a frame that slipped past them a named refusal.
  const sharp = await loadSharp();
  const image = sharp(pixels, {
    raw: { width: frame.columns, height: frame.rows, channels: frame.samplesPerPixel === 3 ? 3 : 1 },
    limitInputPixels: MAX_FRAME_PIXELS,
  });
  const webp = await image
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: THUMBNAIL_QUALITY })
    .toBuffer();
  return new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength);
}
