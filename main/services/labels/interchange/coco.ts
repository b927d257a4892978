/**
 * COCO JSON (cocodataset.org/#format-data). Detection tasks use `bbox` ([x, y, width, height],
 * continuous pixels); segmentation tasks use `segmentation`: polygons, uncompressed RLE
 * (`counts` as numbers, usual for `iscrowd: 1`) or compressed RLE (`counts` as pycocotools'
 * string). Category ids may be any integers; classes are matched by category name.
 *
 * Export writes one annotation per box, and for masks one per (image, class) as compressed RLE —
 * exact, where polygons would approximate. Crowd regions (`iscrowd: 1`) become mask pixels like
 * any other; detection import skips them, since a Loupe box is a single object.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  boxProblem,
  compressRle,
  decompressRle,
  fillSpans,
  labelBounds,
  rasterizePolygon,
  rleArea,
  rleDecode,
  rleEncode,
  type CocoRle,
} from '../../../../contract/geometry/index';
import { LoupeError, type TaskKind } from '../../../../contract/index';
import type { ImageNames } from './image-names';
import { packMask } from './packed-mask';
import { PlanBuilder, type ImportPlan } from './import-plan';
import type { ExportSource } from './export-data';

export const COCO_FILE = 'annotations.json';
/** Boxes may overshoot the image by float noise from other tools' arithmetic; beyond this they are refused. */
const EDGE_TOLERANCE_PX = 1e-3;

const cocoSchema = z.object({
  images: z.array(
    z
      .object({
        id: z.union([z.number(), z.string()]),
        file_name: z.string(),
        width: z.number().optional(),
        height: z.number().optional(),
      })
      .loose(),
  ),
  categories: z.array(z.object({ id: z.union([z.number(), z.string()]), name: z.string() }).loose()),
  annotations: z
    .array(
      z
        .object({
          id: z.unknown().optional(),
          image_id: z.union([z.number(), z.string()]),
          category_id: z.union([z.number(), z.string()]),
          bbox: z.unknown().optional(),
          segmentation: z.unknown().optional(),
          iscrowd: z.union([z.number(), z.boolean()]).optional(),
        })
        .loose(),
    )
    .default([]),
});

export async function readCoco(file: string, names: ImageNames, target: TaskKind | undefined): Promise<ImportPlan> {
  const location = (await isFolder(file)) ? path.join(file, COCO_FILE) : file;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(location, 'utf8'));
  } catch (error) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${location} is not a readable COCO JSON file: ${(error as Error).message}`,
    );
  }
  const parsed = cocoSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || 'the top level';
    // zod words a missing key as "received undefined": the user needs the key's name, not JavaScript's word for absent.
    const problem =
      issue.code === 'invalid_type' && /received undefined$/.test(issue.message)
        ? `${where} is missing`
        : `${where}: ${issue.message}`;
    throw new LoupeError('INVALID_REQUEST', `${location} is not COCO JSON: ${problem}`);
  }
  const coco = parsed.data;
  const hasMasks = coco.annotations.some((a) => hasSegmentation(a.segmentation));
  const kind = target ?? (hasMasks ? 'segmentation' : 'detection');
  if (kind !== 'detection' && kind !== 'segmentation')
    throw new LoupeError('INVALID_REQUEST', `COCO files hold boxes or masks, not ${kind} labels.`);
  const builder = new PlanBuilder(kind);

  const categories = new Map<string, string>();
  for (const c of coco.categories) {
    if (categories.has(String(c.id)))
      builder.skip(`category ${c.id}`, `id ${c.id} is used twice; "${c.name}" was ignored`);
    else categories.set(String(c.id), c.name);
  }
  const images = new Map<string, { imageId: number; width: number; height: number; label: string }>();
  for (const entry of coco.images) {
    const found = names.find(entry.file_name);
    const label = `image "${entry.file_name}"`;
    if ('problem' in found) {
      builder.skip(label, found.problem);
      continue;
    }
    const { image } = found;
    if (
      (entry.width !== undefined && entry.width !== image.width) ||
      (entry.height !== undefined && entry.height !== image.height)
    ) {
      builder.skip(
        label,
        `is ${entry.width}×${entry.height} in the file but ${image.width}×${image.height} in the workspace: not the same image`,
      );
      continue;
    }
    images.set(String(entry.id), { imageId: image.id, width: image.width, height: image.height, label });
    if (kind === 'detection') builder.plan.boxes.set(image.id, []);
  }
  const fileImageIds = new Set(coco.images.map((e) => String(e.id)));
  const masks = new Map<number, Uint8Array>();
  coco.annotations.forEach((a, i) => {
    // An id that is not a number or a string (a list, an object) would print as "[object Object]".
    const where = `annotation ${typeof a.id === 'number' || typeof a.id === 'string' ? a.id : `#${i + 1}`}`;
    const image = images.get(String(a.image_id));
    if (!image) {
      if (!fileImageIds.has(String(a.image_id)))
        builder.skip(where, `refers to image_id ${a.image_id}, which the file's images do not list`);
      return;
    }
    const bad = (reason: string): void => builder.malformed(image.imageId, where, reason);
    const category = categories.get(String(a.category_id));
    if (category === undefined) return bad(`category_id ${a.category_id} is not among the file's categories`);
    if (kind === 'detection') {
      if (a.iscrowd === 1 || a.iscrowd === true)
        return builder.skip(where, 'is a crowd region (iscrowd: 1); Loupe boxes are single objects');
      const b = a.bbox;
      if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v)))
        return bad(`bbox is ${shown(b)}, not four numbers [x, y, width, height]`);
      const box = clampNoise({ x1: b[0], y1: b[1], x2: b[0] + b[2], y2: b[1] + b[3] }, image.width, image.height);
      const problem = boxProblem(box, image.width, image.height);
      if (problem) return bad(`bbox ${shown(b)}: box ${problem}`);
      builder.plan.boxes.get(image.imageId)!.push({ cls: builder.classOf(category), ...box });
      return;
    }
    if (!hasSegmentation(a.segmentation)) return bad('has no segmentation (a box alone cannot become a mask)');
    let region: Uint8Array;
    try {
      region = segmentationBitmap(a.segmentation, image.width, image.height);
    } catch (error) {
      return bad(`segmentation ${(error as Error).message}`);
    }
    let mask = masks.get(image.imageId);
    if (!mask) masks.set(image.imageId, (mask = new Uint8Array(image.width * image.height)));
    const value = builder.classOf(category);
    for (let p = 0; p < region.length; p++) if (region[p]) mask[p] = value;
  });
  if (kind === 'segmentation') {
    for (const image of images.values()) {
      const mask = masks.get(image.imageId) ?? new Uint8Array(image.width * image.height);
      builder.plan.masks.set(image.imageId, new Map([[0, packMask(mask, image.width, image.height)]]));
    }
  }
  return builder.plan;
}

/** A field's value as an error message quotes it. */
function shown(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function clampNoise(box: { x1: number; y1: number; x2: number; y2: number }, width: number, height: number) {
  const snap = (v: number, lo: number, hi: number): number =>
    v < lo && v > lo - EDGE_TOLERANCE_PX ? lo : v > hi && v < hi + EDGE_TOLERANCE_PX ? hi : v;
  return {
    x1: snap(box.x1, 0, width),
    y1: snap(box.y1, 0, height),
    x2: snap(box.x2, 0, width),
    y2: snap(box.y2, 0, height),
  };
}

function hasSegmentation(s: unknown): boolean {
  if (Array.isArray(s)) return s.some((ring) => Array.isArray(ring) && ring.length >= 6);
  return typeof s === 'object' && s !== null && 'counts' in s;
}

/** A 0/1 bitmap of one annotation's segmentation; throws with a reason a user can act on. */
function segmentationBitmap(s: unknown, width: number, height: number): Uint8Array {
  if (Array.isArray(s)) {
    const rings = s.filter(
      (r): r is number[] =>
        Array.isArray(r) && r.length >= 6 && r.every((v) => typeof v === 'number' && Number.isFinite(v)),
    );
    if (rings.length !== s.length) throw new Error('has a polygon that is not a list of at least three x, y pairs');
    const bitmap = new Uint8Array(width * height);
    fillSpans({ width, height, data: bitmap }, rasterizePolygon(rings, width, height), 1);
    return bitmap;
  }
  const rle = s as { size?: unknown; counts?: unknown };
  // A size of anything but two whole numbers would reach the message below as "[object Object]".
  if (!Array.isArray(rle.size) || rle.size.length !== 2 || !rle.size.every((v) => Number.isInteger(v)))
    throw new Error('has an RLE without size [height, width] in whole pixels');
  const [h, w] = rle.size as number[];
  if (h !== height || w !== width) throw new Error(`has an RLE of ${w}×${h} for an image of ${width}×${height}`);
  let counts: CocoRle;
  if (typeof rle.counts === 'string') counts = decompressRle({ size: [h, w], counts: rle.counts });
  else if (Array.isArray(rle.counts) && rle.counts.every((v) => Number.isInteger(v)))
    counts = { size: [h, w], counts: rle.counts as number[] };
  else throw new Error('has RLE counts that are neither a string nor a list of integers');
  return rleDecode(counts);
}

export async function writeCoco(
  source: ExportSource,
  write: (relative: string, data: string) => Promise<void>,
  progress: () => void,
): Promise<number> {
  const { task } = source;
  const categoryOf = new Map(task.classes.map((c, k) => [c.id, k + 1]));
  const images: object[] = [];
  const annotations: object[] = [];
  for (const image of source.images) {
    images.push({ id: image.id, file_name: source.names.exportName(image), width: image.width, height: image.height });
    if (task.kind === 'detection') {
      for (const box of source.boxes.get(image.id) ?? []) {
        const w = box.x2 - box.x1;
        const h = box.y2 - box.y1;
        annotations.push({
          id: annotations.length + 1,
          image_id: image.id,
          category_id: categoryOf.get(box.classId),
          bbox: [box.x1, box.y1, w, h],
          area: w * h,
          iscrowd: 0,
          segmentation: [],
        });
      }
    } else {
      const mask = await source.readMask(image.id);
      for (const cls of task.classes) {
        const bounds = labelBounds(mask, cls.maskIndex!);
        if (!bounds) continue;
        const rle = rleEncode(mask.data, mask.width, mask.height, (v) => v === cls.maskIndex);
        annotations.push({
          id: annotations.length + 1,
          image_id: image.id,
          category_id: categoryOf.get(cls.id),
          segmentation: compressRle(rle),
          area: rleArea(rle),
          bbox: [bounds.x1, bounds.y1, bounds.x2 - bounds.x1, bounds.y2 - bounds.y1],
          iscrowd: 0,
        });
      }
    }
    progress();
  }
  const coco = {
    info: { description: `Loupe task "${task.name}" (${task.kind})`, date_created: new Date().toISOString() },
    images,
    categories: task.classes.map((c, k) => ({ id: k + 1, name: c.name, supercategory: task.name })),
    annotations,
  };
  await write(COCO_FILE, JSON.stringify(coco));
  return annotations.length;
}

async function isFolder(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}
