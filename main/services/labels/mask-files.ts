/**
 * Mask PNG files: 8-bit greyscale label-index images at source resolution, one per frame that has
 * a mask (a volume's slices each have their own), under masks/task-<taskId>/. Each save writes a NEW file (ids plus a random suffix, never a user or
 * DICOM string) with writeFileAtomic; the database row is switched to it in a transaction and the
 * old file is removed afterwards. A crash at any point leaves the row naming a complete file; the
 * worst case is an unreferenced file, which `sweepOrphanMasks` removes later.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, type MaskLabel } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { loadSharp } from '../../../ml/decode/sharp-module';

export const MASKS_FOLDER = 'masks';

/**
 * An unreferenced mask file younger than this may belong to a save in flight in another process
 * (the CLI beside the app): such a save takes well under a second, so ten minutes is ample.
 */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;

/** zlib level for mask PNGs: label masks are runs of few values, so a fast level compresses them nearly as well. */
const PNG_COMPRESSION_LEVEL = 4;

export interface WrittenMask {
  /** Relative to the workspace root, with forward slashes. */
  file: string;
  sha256: string;
}

/** A new mask file name; a frame other than 0 is in the name, so a volume's masks list in slice order. */
export function newMaskFile(taskId: number, imageId: number, frame = 0): string {
  const framePart = frame > 0 ? `-f${frame}` : '';
  return `${MASKS_FOLDER}/task-${taskId}/image-${imageId}${framePart}-${randomBytes(6).toString('hex')}.png`;
}

export async function encodeMaskPng(mask: MaskLabel): Promise<Buffer> {
  const sharp = await loadSharp();
  return (
    sharp(Buffer.from(mask.data.buffer, mask.data.byteOffset, mask.data.byteLength), {
      raw: { width: mask.width, height: mask.height, channels: 1 },
    })
      // Without this sharp writes one-channel input as RGB.
      .toColourspace('b-w')
      .png({ compressionLevel: PNG_COMPRESSION_LEVEL, adaptiveFiltering: false, palette: false })
      .toBuffer()
  );
}

/** Decodes a mask PNG written by Loupe (8-bit, one channel). */
export async function decodeMaskPng(png: Uint8Array): Promise<MaskLabel> {
  const sharp = await loadSharp();
  const meta = await sharp(png).metadata();
  if (meta.channels !== 1 || meta.depth !== 'uchar')
    throw new Error(`mask PNG has ${meta.channels} channels of ${meta.depth}, expected one 8-bit channel`);
  // sharp decodes to sRGB unless told otherwise; the single grey channel is the label index.
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export async function writeMaskFile(
  root: string,
  taskId: number,
  imageId: number,
  mask: MaskLabel,
  frame = 0,
): Promise<WrittenMask> {
  const file = newMaskFile(taskId, imageId, frame);
  const png = await encodeMaskPng(mask);
  const target = path.join(root, file);
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, png);
  } catch (error) {
    throw new LoupeError(
      'IO_ERROR',
      `Could not save the mask (${(error as Error).message}). Check that the workspace folder is writable and the disk is not full.`,
      {
        cause: error,
      },
    );
  }
  return { file, sha256: createHash('sha256').update(png).digest('hex') };
}

export async function readMaskFile(root: string, file: string, sha256: string): Promise<MaskLabel> {
  let png: Buffer;
  try {
    png = await fs.readFile(path.join(root, file));
  } catch (error) {
    throw new LoupeError('IO_ERROR', `The mask file ${file} could not be read (${(error as Error).message}).`, {
      cause: error,
    });
  }
  if (createHash('sha256').update(png).digest('hex') !== sha256) {
    throw new LoupeError(
      'IO_ERROR',
      `The mask file ${file} was changed outside Loupe or damaged; its checksum does not match.`,
    );
  }
  try {
    return await decodeMaskPng(png);
  } catch (error) {
    throw new LoupeError('IO_ERROR', `The mask file ${file} is not a readable mask PNG.`, { cause: error });
  }
}

/** Removes files no longer referenced (after a commit replaced or deleted them). Best effort. */
export async function removeMaskFiles(root: string, files: Iterable<string>): Promise<void> {
  for (const file of files) await fs.unlink(path.join(root, file)).catch(() => {});
}

/**
 * Deletes mask files no row refers to and temp files left by a crash, once they are older than
 * ORPHAN_GRACE_MS. Returns how many it removed.
 */
export async function sweepOrphanMasks(
  root: string,
  referenced: ReadonlySet<string>,
  now = Date.now(),
): Promise<number> {
  const base = path.join(root, MASKS_FOLDER);
  let folders: string[];
  try {
    folders = await fs.readdir(base);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const folder of folders) {
    if (!/^task-\d+$/.test(folder)) continue;
    const dir = path.join(base, folder);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const file = `${MASKS_FOLDER}/${folder}/${name}`;
      if (referenced.has(file)) continue;
      const stat = await fs.stat(path.join(dir, name)).catch(() => null);
      if (!stat?.isFile() || now - stat.mtimeMs < ORPHAN_GRACE_MS) continue;
      await fs.unlink(path.join(dir, name)).catch(() => {});
      removed++;
    }
  }
  return removed;
}

/** Pixel count per mask value (index 0 = background included). */
export function maskHistogram(data: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  return counts;
}
