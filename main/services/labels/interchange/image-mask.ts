/**
 * Image + mask folders, the layout of most segmentation datasets: images/x.jpg beside masks/x.png,
 * where a mask's pixel value is the class index (0 background). Splits come from train/, val/ or
 * test/ folders, either at the top (train/images, train/masks) or inside (images/train, masks/train).
 * Which value is which class: labelmap.csv (index,name) when the folder has one, else the task's
 * classes by mask value, else (a new task) classes named after the values.
 *
 * Every mask is read and checked before any image is imported: an unreadable mask, a value with
 * no class, or a mask whose size differs from its image's refuses the import whole (or, with
 * skipMalformed, leaves that image out). Sizes are read from the image headers (PNG, JPEG, TIFF);
 * for DICOM images the size is only known after their import, so that check comes then.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError, type LabelTask, type SplitName } from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import { encodeMaskPng } from '../mask-files';
import { toCsv } from '../../csv';
import type { ExportSource } from './export-data';
import { listFiles } from './files';
import { renamedAs } from './image-names';
import { PlanBuilder, settleMalformedFiles, type ImportPlan } from './import-plan';
import { decodeIndexPng, LABELMAP_FILE, readLabelmap } from './mask-folder';
import { packMask, type PackedMask } from './packed-mask';
import {
  bringImages,
  folderEntries,
  headerSize,
  imagesAt,
  listImageFiles,
  splitOf,
  UNSPLIT_FOLDER,
  readImageBytes,
  type ImportImages,
} from './dataset-images';

export const IMAGES_FOLDER = 'images';
export const MASKS_FOLDER = 'masks';

interface Pair {
  file: string;
  where: string;
  split: SplitName | null;
  mask: PackedMask;
}

const stem = (relative: string): string => relative.replace(/\.[^./]+$/, '');

/** The folders holding images/ and masks/: the root, or each top split folder. */
async function groupsOf(root: string): Promise<{ dir: string; prefix: string; split: SplitName | null }[]> {
  const { folders } = await folderEntries(root);
  if (folders.includes(IMAGES_FOLDER)) return [{ dir: root, prefix: '', split: null }];
  const splits = [];
  for (const f of folders) {
    const split = splitOf(f);
    if (split === undefined) continue;
    if ((await folderEntries(path.join(root, f))).folders.includes(IMAGES_FOLDER))
      splits.push({ dir: path.join(root, f), prefix: `${f}/`, split });
  }
  if (splits.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${root} has no ${IMAGES_FOLDER}/ folder: an image + mask dataset is images/x.png beside masks/x.png (or train/images and train/masks).`,
    );
  return splits;
}

export async function readImageMasks(
  ws: Workspace,
  root: string,
  task: LabelTask | null,
  options: {
    dryRun: boolean;
    skipMalformed: boolean;
    importImages: ImportImages;
    signal: AbortSignal;
    progress: (done: number, total: number) => void;
  },
): Promise<{ plan: ImportPlan; imagesAdded: number }> {
  root = path.resolve(root);
  const groups = await groupsOf(root);
  const builder = new PlanBuilder('segmentation');
  const labelmap = await readLabelmap(root);
  if (labelmap) for (const value of [...labelmap.keys()].sort((a, b) => a - b)) builder.classOf(labelmap.get(value)!);
  const byTaskIndex = new Map((task?.classes ?? []).map((c) => [c.maskIndex, c.name]));
  /** What a pixel value is called, or why it cannot be read. */
  const nameOf = (value: number): string | { problem: string } => {
    const name = labelmap ? labelmap.get(value) : task ? byTaskIndex.get(value) : String(value);
    if (name !== undefined) return name;
    return {
      problem: labelmap
        ? `has pixels of value ${value}, which ${LABELMAP_FILE} does not name`
        : `has pixels of value ${value}, but "${task!.name}" has no class with that mask value (it has ${task!.classes.length})`,
    };
  };
  const known = imagesAt(ws);
  const pairs: Pair[] = [];
  const problems: { where: string; reason: string }[] = [];
  for (const group of groups) {
    const imageDir = path.join(group.dir, IMAGES_FOLDER);
    const maskDir = path.join(group.dir, MASKS_FOLDER);
    const masks = new Map(
      (await listFiles(maskDir, '.png').catch(() => [] as string[])).map((m) => [stem(m), m] as const),
    );
    const paired = new Set<string>();
    for (const relative of await listImageFiles(imageDir)) {
      const where = `${group.prefix}${IMAGES_FOLDER}/${relative}`;
      const maskName = masks.get(stem(relative));
      if (!maskName) {
        builder.skip(where, `has no mask ${group.prefix}${MASKS_FOLDER}/${stem(relative)}.png`);
        continue;
      }
      paired.add(maskName);
      const maskWhere = `${group.prefix}${MASKS_FOLDER}/${maskName}`;
      const file = path.join(imageDir, ...relative.split('/'));
      const decoded = decodeIndexPng(await readFile(path.join(maskDir, ...maskName.split('/'))));
      if (typeof decoded === 'string') {
        problems.push({ where: maskWhere, reason: decoded });
        continue;
      }
      const size = known.get(file) ?? (await headerSize(file));
      if (size && (size.width !== decoded.width || size.height !== decoded.height)) {
        problems.push({
          where: maskWhere,
          reason: `is ${decoded.width}×${decoded.height} but its image is ${size.width}×${size.height}; a mask must match its image's size`,
        });
        continue;
      }
      const lut = new Uint8Array(256);
      const unnamed = [...new Set(decoded.data)]
        .sort((a, b) => a - b)
        .filter((v) => v > 0)
        .map((v) => {
          const name = nameOf(v);
          if (typeof name !== 'string') return name.problem;
          lut[v] = builder.classOf(name);
          return null;
        })
        .find((p) => p !== null);
      if (unnamed) {
        problems.push({ where: maskWhere, reason: unnamed });
        continue;
      }
      for (let i = 0; i < decoded.data.length; i++) decoded.data[i] = lut[decoded.data[i]!]!;
      const inner = splitOf(relative.split('/')[0]!);
      const split = group.split ?? (relative.includes('/') ? (inner ?? null) : null);
      pairs.push({ file, where, split, mask: packMask(decoded.data, decoded.width, decoded.height) });
    }
    for (const [, m] of masks)
      if (!paired.has(m)) builder.skip(`${group.prefix}${MASKS_FOLDER}/${m}`, `has no image in ${IMAGES_FOLDER}/`);
  }
  settleMalformedFiles(builder, problems, options.skipMalformed);
  const { images, added } = await bringImages(ws, pairs, builder, options);
  for (const pair of pairs) {
    const image = images.get(pair.file);
    if (!image) continue;
    // Checked here for images whose size only their import told (DICOM); placeholders (dry run) have none.
    if (image.id > 0 && (image.width !== pair.mask.width || image.height !== pair.mask.height)) {
      builder.malformed(
        image.id,
        pair.where,
        `its mask is ${pair.mask.width}×${pair.mask.height} but the image is ${image.width}×${image.height}; a mask must match its image's size`,
      );
      continue;
    }
    builder.plan.masks.set(image.id, pair.mask);
    if (pair.split) builder.plan.splits.set(image.id, pair.split);
  }
  return { plan: builder.plan, imagesAdded: added };
}

/** labelmap.csv, images/[<split>/]<export name> (the image file itself) and masks/[<split>/]<name>.png. */
export async function writeImageMasks(
  source: ExportSource,
  write: (relative: string, data: string | Uint8Array) => Promise<void>,
  progress: () => void,
): Promise<number> {
  await write(
    LABELMAP_FILE,
    toCsv([
      ['index', 'name', 'color'],
      [0, 'background', '#000000'],
      ...source.task.classes.map((c) => [c.maskIndex!, c.name, c.color]),
    ]),
  );
  for (const image of source.images) {
    const bytes = await readImageBytes(image);
    const name = source.names.exportName(image);
    const split = source.splits.size > 0 ? `${source.splits.get(image.id) ?? UNSPLIT_FOLDER}/` : '';
    await write(`${IMAGES_FOLDER}/${split}${name}`, bytes);
    await write(
      `${MASKS_FOLDER}/${split}${renamedAs(name, '.png')}`,
      await encodeMaskPng(await source.readMask(image.id)),
    );
    progress();
  }
  return source.images.length;
}
