/**
 * What the dataset layouts that hold their images (imagefolder, image-mask) share: which files are
 * images, which folder names are splits, and bringing the images into the workspace through the
 * imaging import before they are labeled.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, type ImportProgress, type ImportReport, type SplitName } from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import { loadSharp } from '../../../../ml/decode/sharp-module';
import { allImages } from '../images';
import type { PlanBuilder } from './import-plan';

/** The imaging import (imaging.import's service), handed to the labels domain by the services. */
export type ImportImages = (
  paths: readonly string[],
  signal: AbortSignal,
  progress: (p: ImportProgress) => void,
) => Promise<ImportReport>;

/**
 * Files a layout reads as images, as torchvision's IMG_EXTENSIONS does (its list, less the formats
 * Loupe cannot decode, plus DICOM and NIfTI); anything else in the folders (notes, Thumbs.db) is passed over.
 */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.dcm', '.nii'];

/** A gzipped NIfTI volume (x.nii.gz), whose own ending path.extname does not see. */
const GZIPPED_NIFTI = /\.nii\.gz$/i;

/** Top folder names that are splits; `valid` and `validation` are the spellings Keras and Roboflow use. */
const SPLIT_FOLDERS = new Map<string, SplitName>([
  ['train', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['test', 'test'],
]);

/** Where an export puts the images of a task with a split that have none, so an import keeps them unsplit. */
export const UNSPLIT_FOLDER = 'unassigned';

/** The split a folder name means; null for UNSPLIT_FOLDER; undefined when it is no split folder. */
export function splitOf(folder: string): SplitName | null | undefined {
  const name = folder.toLowerCase();
  return name === UNSPLIT_FOLDER ? null : SPLIT_FOLDERS.get(name);
}

/** Code-point order, as Python's sorted() (and so torchvision's class indices) uses. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()) || GZIPPED_NIFTI.test(name);
}

/** Visible sub-folders and files of a folder, each in code-point order. */
export async function folderEntries(dir: string): Promise<{ folders: string[]; files: string[] }> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new LoupeError('NOT_FOUND', `Could not read the folder ${dir}: ${(error as Error).message}`);
  }
  const visible = entries.filter((e) => !e.name.startsWith('.'));
  return {
    folders: visible
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(byCodePoint),
    files: visible
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort(byCodePoint),
  };
}

/** Image files under `dir`, at any depth, as paths relative to it with '/'. */
export async function listImageFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(relative: string): Promise<void> {
    const { folders, files } = await folderEntries(path.join(dir, relative));
    for (const file of files) if (isImageFile(file)) out.push(relative ? `${relative}/${file}` : file);
    for (const folder of folders) await walk(relative ? `${relative}/${folder}` : folder);
  }
  await walk('');
  return out;
}

/** The bytes of an image's source file, which the layouts that hold their images copy. */
export async function readImageBytes(image: { path: string }): Promise<Uint8Array> {
  try {
    return await fs.readFile(image.path);
  } catch (error) {
    throw new LoupeError(
      'NOT_FOUND',
      `Could not read the image ${image.path} to copy it (${(error as Error).message}); relink its folder and export again.`,
    );
  }
}

/** Width and height from the file's header (PNG, JPEG, TIFF), or null when sharp cannot tell (DICOM). */
export async function headerSize(file: string): Promise<{ width: number; height: number } | null> {
  try {
    const { width, height } = await (await loadSharp())(file).metadata();
    return width && height ? { width, height } : null;
  } catch {
    return null;
  }
}

export interface WorkspaceImage {
  id: number;
  width: number;
  height: number;
  frames: number;
}

export interface BroughtImages {
  /** Absolute file path → the workspace image it is (dry run: placeholder ids below 0 for new ones). */
  images: Map<string, WorkspaceImage>;
  added: number;
}

/** The workspace images already at these paths. */
export function imagesAt(ws: Workspace): Map<string, WorkspaceImage> {
  return new Map(allImages(ws.db).map((i) => [path.resolve(i.path), i]));
}

/**
 * Makes sure every file is a workspace image: those not yet in it are imported (the same content
 * elsewhere in the workspace counts as that image). A file that cannot be imported is skipped with
 * the imaging import's reason. A dry run imports nothing and counts what it would.
 */
export async function bringImages(
  ws: Workspace,
  files: readonly { file: string; where: string }[],
  builder: PlanBuilder,
  options: {
    dryRun: boolean;
    importImages: ImportImages;
    signal: AbortSignal;
    progress: (done: number, total: number) => void;
  },
): Promise<BroughtImages> {
  const known = imagesAt(ws);
  const missing = [...new Set(files.map((f) => f.file).filter((f) => !known.has(f)))];
  if (missing.length === 0) return { images: known, added: 0 };
  if (options.dryRun) {
    missing.forEach((file, k) => known.set(file, { id: -(k + 1), width: 0, height: 0, frames: 0 }));
    return { images: known, added: missing.length };
  }
  const report = await options.importImages(missing, options.signal, (p) => {
    if (p.phase === 'importing') options.progress(p.done, p.total);
  });
  if (report.cancelled)
    throw new LoupeError(
      'CANCELLED',
      `Import cancelled after ${report.imported} new images; those stay in the workspace, and no labels were imported.`,
    );
  const after = imagesAt(ws);
  const byId = new Map([...after.values()].map((i) => [i.id, i]));
  const whereOf = new Map(files.map((f) => [f.file, f.where]));
  for (const outcome of report.files) {
    const image = outcome.imageId === undefined ? undefined : byId.get(outcome.imageId);
    if (image) after.set(path.resolve(outcome.path), image);
    else
      builder.skip(
        whereOf.get(path.resolve(outcome.path)) ?? outcome.path,
        `could not be imported as an image: ${outcome.message ?? outcome.status}`,
      );
  }
  return { images: after, added: report.imported };
}
