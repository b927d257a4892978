/**
 * The output folder of `loupe explain`: refused when it holds something unless forced, one
 * heatmap and one overlay PNG per image under names that cannot collide, and explain.json.
 * Every file is written atomically, so a stopped run leaves only whole files.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EXPLAIN_FILE, LoupeError, type ExplainWriteReply } from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';

export const HEATMAPS_FOLDER = 'heatmaps';
export const OVERLAYS_FOLDER = 'overlays';
/** Characters kept from an image's file name in its output names; others become '_'. */
const SAFE_NAME = /[^A-Za-z0-9._-]/g;
/** Longest stem kept from an image's file name (names stay well under file system limits). */
const MAX_STEM = 80;

function ioError(error: unknown, out: string): LoupeError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : (error as Error).message;
  return new LoupeError('IO_ERROR', `Cannot write explanations into ${out}: ${why}.`, { cause: error });
}

/** Makes the folder and `folders` in it; one that exists and is not empty is refused unless `force`. */
export async function prepareOutput(
  out: string,
  force: boolean,
  folders: readonly string[] = [HEATMAPS_FOLDER, OVERLAYS_FOLDER],
): Promise<void> {
  const stat = await fs.stat(out).catch(() => null);
  if (stat && !stat.isDirectory())
    throw new LoupeError('INVALID_REQUEST', `${out} is a file; give a folder for the explanations.`);
  if (stat && !force) {
    const entries = await fs.readdir(out);
    if (entries.length > 0)
      throw new LoupeError(
        'CONFLICT',
        `${out} exists and is not empty; choose a new or empty folder, or pass --force to write into it (files of the same name are replaced).`,
      );
  }
  try {
    await fs.mkdir(out, { recursive: true });
    for (const folder of folders) await fs.mkdir(path.join(out, folder), { recursive: true });
  } catch (error) {
    throw ioError(error, out);
  }
}

/**
 * Output names of the `index`-th image (0-based) of `count`: its position, zero-padded so the
 * files sort in the order explain.json lists them, then its file name (two files called
 * image.png in different folders never collide).
 */
export function outputNames(index: number, count: number, file: string): { heatmap: string; overlay: string } {
  const position = String(index + 1).padStart(String(count).length, '0');
  const stem = path.basename(file, path.extname(file)).replace(SAFE_NAME, '_').slice(0, MAX_STEM);
  const name = `${position}-${stem}.png`;
  return { heatmap: `${HEATMAPS_FOLDER}/${name}`, overlay: `${OVERLAYS_FOLDER}/${name}` };
}

export async function writeOutputFile(out: string, relative: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFileAtomic(path.join(out, relative), data);
  } catch (error) {
    throw ioError(error, out);
  }
}

/** explain.json: what was explained, how, and each image's numbers and files. */
export async function writeExplainFile(reply: ExplainWriteReply, weightsSha256: string): Promise<void> {
  const document = {
    format: 'loupe-explain',
    version: 1,
    createdAt: new Date().toISOString(),
    weightsSha256,
    ...reply,
  };
  await writeOutputFile(reply.out, EXPLAIN_FILE, `${JSON.stringify(document, null, 2)}\n`);
}
