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
 * for DICOM and NIfTI images the size is only known after their import, so that check comes then.
 *
 * The same reader takes the Medical Segmentation Decathlon / nnU-Net layout (imagesTr/ beside
 * labelsTr/, names in dataset.json) and masks given as NIfTI label maps (nifti-masks.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError, type LabelTask, type SplitName } from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import { encodeMaskPng } from '../mask-files';
import { toCsv } from '../../csv';
import type { ExportSource } from './export-data';
import { listFiles } from './files';
import { ownSplitsRefusal, PlanBuilder, settleMalformedFiles, type ImportPlan } from './import-plan';
import { decodeIndexPng, LABELMAP_FILE, readLabelmap } from './mask-folder';
import {
  DATASET_JSON,
  isNiftiName,
  MASK_EXTENSIONS,
  maskStem,
  maskStemsOf,
  NNUNET_IMAGES_FOLDER,
  NNUNET_LABELS_FOLDER,
  readDatasetLabels,
  readIndexNifti,
  type IndexSlices,
} from './nifti-masks';
import { frameMaskName, indexFrameMasks, maskFilesOf, readMaskFrames } from './frame-masks';
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
  /** By frame: frame 0 for a 2D mask, every slice of a 3D label map, or the frames of per-frame PNGs. */
  masks: Map<number, PackedMask>;
}

interface Group {
  dir: string;
  prefix: string;
  split: SplitName | null;
  images: string;
  masks: string;
}

/** The folders holding images/ and masks/: the root, each top split folder, or imagesTr/ and labelsTr/. */
async function groupsOf(root: string): Promise<Group[]> {
  const { folders } = await folderEntries(root);
  const folderNames = { images: IMAGES_FOLDER, masks: MASKS_FOLDER };
  if (folders.includes(IMAGES_FOLDER)) return [{ dir: root, prefix: '', split: null, ...folderNames }];
  // nnU-Net's "Tr" is its training pool (it makes its own folds), so the images stay unsplit here.
  if (folders.includes(NNUNET_IMAGES_FOLDER))
    return [{ dir: root, prefix: '', split: null, images: NNUNET_IMAGES_FOLDER, masks: NNUNET_LABELS_FOLDER }];
  const splits = [];
  for (const f of folders) {
    const split = splitOf(f);
    if (split === undefined) continue;
    if ((await folderEntries(path.join(root, f))).folders.includes(IMAGES_FOLDER))
      splits.push({ dir: path.join(root, f), prefix: `${f}/`, split, ...folderNames });
  }
  if (splits.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${root} has no ${IMAGES_FOLDER}/ folder: an image + mask dataset is images/x.png beside masks/x.png (or train/images and train/masks, or imagesTr/x.nii.gz beside labelsTr/x.nii.gz).`,
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
    /** The split the import was told: refused, before any image is brought in, where split folders set their own. */
    split?: SplitName | undefined;
    importImages: ImportImages;
    signal: AbortSignal;
    progress: (done: number, total: number) => void;
  },
): Promise<{ plan: ImportPlan; imagesAdded: number }> {
  root = path.resolve(root);
  const groups = await groupsOf(root);
  const builder = new PlanBuilder('segmentation');
  const csvLabelmap = await readLabelmap(root);
  const labelmap = csvLabelmap ?? (await readDatasetLabels(root));
  const labelmapFile = csvLabelmap ? LABELMAP_FILE : DATASET_JSON;
  if (labelmap) for (const value of [...labelmap.keys()].sort((a, b) => a - b)) builder.classOf(labelmap.get(value)!);
  const byTaskIndex = new Map((task?.classes ?? []).map((c) => [c.maskIndex, c.name]));
  /** What a pixel value is called, or why it cannot be read. */
  const nameOf = (value: number): string | { problem: string } => {
    const name = labelmap ? labelmap.get(value) : task ? byTaskIndex.get(value) : String(value);
    if (name !== undefined) return name;
    return {
      problem: labelmap
        ? `has pixels of value ${value}, which ${labelmapFile} does not name`
        : `has pixels of value ${value}, but "${task!.name}" has no class with that mask value (it has ${task!.classes.length})`,
    };
  };
  const known = imagesAt(ws);
  const pairs: Pair[] = [];
  const problems: { where: string; reason: string }[] = [];
  for (const group of groups) {
    const imageDir = path.join(group.dir, group.images);
    const maskDir = path.join(group.dir, group.masks);
    const masks = new Map<string, string>();
    for (const extension of MASK_EXTENSIONS)
      for (const m of await listFiles(maskDir, extension).catch(() => [] as string[])) masks.set(maskStem(m), m);
    const framed = indexFrameMasks(masks);
    const paired = new Set<string>();
    for (const relative of await listImageFiles(imageDir)) {
      const where = `${group.prefix}${group.images}/${relative}`;
      const files = maskFilesOf(maskStemsOf(relative), masks, framed);
      if (files.length === 0) {
        const expected = isNiftiName(relative)
          ? maskStemsOf(relative).at(-1)! + '.nii.gz'
          : `${maskStem(relative)}.png`;
        builder.skip(where, `has no mask ${group.prefix}${group.masks}/${expected}`);
        continue;
      }
      for (const f of files) paired.add(f.name);
      const maskWhere = `${group.prefix}${group.masks}/${files[0]!.name}`;
      const file = path.join(imageDir, ...relative.split('/'));
      const decoded = await readMaskFrames(
        files,
        async (name) => {
          const bytes = await readFile(path.join(maskDir, ...name.split('/')));
          return isNiftiName(name) ? readIndexNifti(bytes, file, where) : slicesOf(decodeIndexPng(bytes));
        },
        (name) => `${group.prefix}${group.masks}/${name}`,
      );
      if ('reason' in decoded) {
        problems.push(decoded);
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
      const values = new Set<number>();
      for (const slice of decoded.frames.values()) for (const v of new Set(slice)) values.add(v);
      const unnamed = [...values]
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
      const packed = new Map<number, PackedMask>();
      for (const [frame, slice] of decoded.frames) {
        for (let i = 0; i < slice.length; i++) slice[i] = lut[slice[i]!]!;
        packed.set(frame, packMask(slice, decoded.width, decoded.height));
      }
      const inner = splitOf(relative.split('/')[0]!);
      const split = group.split ?? (relative.includes('/') ? (inner ?? null) : null);
      pairs.push({ file, where, split, masks: packed });
    }
    for (const [, m] of masks)
      if (!paired.has(m)) builder.skip(`${group.prefix}${group.masks}/${m}`, `has no image in ${group.images}/`);
  }
  settleMalformedFiles(builder, problems, options.skipMalformed);
  if (options.split && pairs.some((p) => p.split)) throw ownSplitsRefusal(root);
  const { images, added } = await bringImages(ws, pairs, builder, options);
  for (const pair of pairs) {
    const image = images.get(pair.file);
    if (!image) continue;
    // Checked here for images whose size only their import told (DICOM); placeholders (dry run) have none.
    const mask = pair.masks.values().next().value!;
    if (image.id > 0 && (image.width !== mask.width || image.height !== mask.height)) {
      builder.malformed(
        image.id,
        pair.where,
        `its mask is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}; a mask must match its image's size`,
      );
      continue;
    }
    const lastFrame = Math.max(...pair.masks.keys());
    if (image.id > 0 && lastFrame >= image.frames) {
      const frames = `${image.frames} frame${image.frames === 1 ? '' : 's'}`;
      builder.malformed(image.id, pair.where, `has masks up to frame ${lastFrame} but the image has ${frames}`);
      continue;
    }
    builder.plan.masks.set(image.id, pair.masks);
    if (pair.split) builder.plan.splits.set(image.id, pair.split);
  }
  return { plan: builder.plan, imagesAdded: added };
}

/** A 2D mask (PNG) as the one slice of a label map. */
function slicesOf(decoded: ReturnType<typeof decodeIndexPng>): IndexSlices | string {
  return typeof decoded === 'string'
    ? decoded
    : { width: decoded.width, height: decoded.height, slices: [decoded.data] };
}

/**
 * labelmap.csv, images/[<split>/]<export name> (the image file itself) and masks/[<split>/]<name>.png
 * (x.nii.gz: x.png); a multi-frame image's masks are one PNG per frame that has one,
 * masks/<name>_f<frame>.png with the frame 0-based and zero-padded (x_f012.png), which the import reads back.
 */
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
  let written = 0;
  for (const image of source.images) {
    const bytes = await readImageBytes(image);
    const name = source.names.exportName(image);
    const split = source.splits.size > 0 ? `${source.splits.get(image.id) ?? UNSPLIT_FOLDER}/` : '';
    await write(`${IMAGES_FOLDER}/${split}${name}`, bytes);
    for (const frame of source.maskRows.get(image.id)!.keys()) {
      const png = await encodeMaskPng(await source.readMask(image.id, frame));
      await write(`${MASKS_FOLDER}/${split}${frameMaskName(maskStem(name), frame, image.frames)}`, png);
      written++;
    }
    progress();
  }
  return written;
}
