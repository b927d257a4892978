/** Folder walking for the folder formats (YOLO, VOC, mask PNGs). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError } from '../../../../contract/index';

/** Files under `root` ending in `extension` (case-insensitive), as paths relative to root with '/'. */
export async function listFiles(root: string, extension: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new LoupeError('NOT_FOUND', `Could not read the folder ${dir}: ${(error as Error).message}`);
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith(extension))
        out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return out;
}

export async function requireFolder(folder: string, what: string): Promise<void> {
  const stat = await fs.stat(folder).catch(() => null);
  if (!stat) throw new LoupeError('NOT_FOUND', `There is no folder at ${folder}.`);
  if (!stat.isDirectory())
    throw new LoupeError('INVALID_REQUEST', `${folder} is a file; ${what} import reads a folder.`);
}

/** The sub-folder a format conventionally uses (labels/, Annotations/, masks/), when present. */
export async function conventionalSubfolder(folder: string, name: string): Promise<string> {
  const sub = path.join(folder, name);
  return (await fs.stat(sub).catch(() => null))?.isDirectory() ? sub : folder;
}
