/**
 * Folder-per-class datasets, as torchvision's ImageFolder and Keras' image_dataset_from_directory
 * read them: root/<class>/<image> (any depth below the class folder), or root/<split>/<class>/<image>
 * when train/, val/ or test/ folders are at the top — those become the task's split. Classes are
 * made in ImageFolder's order (folder names sorted by code point), so class k is torchvision's k.
 */
import path from 'node:path';
import { LoupeError, type SplitName } from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import type { ExportSource } from './export-data';
import { requireFolder } from './files';
import { ownSplitsRefusal, PlanBuilder, type ImportPlan } from './import-plan';
import {
  bringImages,
  byCodePoint,
  folderEntries,
  isImageFile,
  listImageFiles,
  splitOf,
  UNSPLIT_FOLDER,
  readImageBytes,
  type ImportImages,
} from './dataset-images';

export interface ImageFolderItem {
  file: string;
  /** Path relative to the root, for the report. */
  where: string;
  split: SplitName | null;
  className: string;
}

/** Reads the layout without touching the workspace: classes checked, every image listed. */
export async function readImageFolderLayout(
  root: string,
  builder: PlanBuilder,
): Promise<{ items: ImageFolderItem[]; splitFolders: boolean }> {
  await requireFolder(root, 'Image folder');
  const top = await folderEntries(root);
  const splitNames = top.folders.filter((f) => splitOf(f) !== undefined);
  const splitFolders = splitNames.some((f) => splitOf(f) !== null);
  const groups: { dir: string; prefix: string; split: SplitName | null }[] = splitFolders
    ? splitNames.map((f) => ({ dir: path.join(root, f), prefix: `${f}/`, split: splitOf(f)! }))
    : [{ dir: root, prefix: '', split: null }];
  if (splitFolders)
    for (const f of top.folders.filter((f) => splitOf(f) === undefined))
      builder.skip(`${f}/`, 'is not a split folder (train, val, test); with split folders, classes go inside them');
  const classFolders: { group: (typeof groups)[number]; name: string }[] = [];
  for (const group of groups) {
    const { folders, files } = await folderEntries(group.dir);
    for (const file of files.filter(isImageFile))
      builder.skip(`${group.prefix}${file}`, 'is not inside a class folder, so it has no class');
    for (const name of folders) classFolders.push({ group, name });
  }
  // Loupe's class names ignore case; two folders that differ only in case would silently merge.
  const spelled = new Map<string, string>();
  for (const name of [...new Set(classFolders.map((c) => c.name))].sort(byCodePoint)) {
    const other = spelled.get(name.toLowerCase());
    if (other !== undefined && other !== name)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The class folders "${other}" and "${name}" differ only in case, which Loupe reads as one class; nothing was imported. Rename one of them.`,
      );
    spelled.set(name.toLowerCase(), name);
    builder.classOf(name);
  }
  if (classFolders.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${root} has no class folders: an image folder is root/<class>/<image>, or root/train/<class>/<image>.`,
    );
  const items: ImageFolderItem[] = [];
  for (const { group, name } of classFolders) {
    for (const relative of await listImageFiles(path.join(group.dir, name)))
      items.push({
        file: path.join(group.dir, name, ...relative.split('/')),
        where: `${group.prefix}${name}/${relative}`,
        split: group.split,
        className: name,
      });
  }
  return { items, splitFolders };
}

export async function readImageFolder(
  ws: Workspace,
  root: string,
  options: {
    dryRun: boolean;
    /** The split the import was told: refused, before any image is brought in, where split folders set their own. */
    split?: SplitName | undefined;
    importImages: ImportImages;
    signal: AbortSignal;
    progress: (done: number, total: number) => void;
  },
): Promise<{ plan: ImportPlan; imagesAdded: number }> {
  const builder = new PlanBuilder('classification');
  const { items, splitFolders } = await readImageFolderLayout(path.resolve(root), builder);
  if (options.split && splitFolders) throw ownSplitsRefusal(root);
  const { images, added } = await bringImages(ws, items, builder, options);
  for (const item of items) {
    const image = images.get(item.file);
    if (!image) continue;
    // A copy of one image in two class folders is one image with two classes (multi-label).
    const tags = builder.plan.classTags.get(image.id) ?? [];
    tags.push(builder.classOf(item.className));
    builder.plan.classTags.set(image.id, tags);
    if (splitFolders && item.split) builder.plan.splits.set(image.id, item.split);
  }
  return { plan: builder.plan, imagesAdded: added };
}

/** root/[<split>/]<class>/<export name>: the image file itself, once per class it carries. */
export async function writeImageFolder(
  source: ExportSource,
  write: (relative: string, data: string | Uint8Array) => Promise<void>,
  progress: () => void,
): Promise<number> {
  const nameOf = new Map(source.task.classes.map((c) => [c.id, c.name]));
  const split = source.splits;
  for (const image of source.images) {
    const bytes = await readImageBytes(image);
    const prefix = split.size > 0 ? `${split.get(image.id) ?? UNSPLIT_FOLDER}/` : '';
    for (const classId of source.tags.get(image.id) ?? [])
      await write(`${prefix}${folderName(nameOf.get(classId)!)}/${source.names.exportName(image)}`, bytes);
    progress();
  }
  return [...source.tags.values()].reduce((n, tags) => n + tags.length, 0);
}

/** A class name as a folder name: path separators would nest folders, so they become '_'. */
function folderName(className: string): string {
  const safe = className.replace(/[/\\]/g, '_');
  return safe === '.' || safe === '..' ? `_${safe}` : safe;
}
