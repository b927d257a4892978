/**
 * YOLO txt (Ultralytics layout): classes.txt lists class names, one per line, index 0 first;
 * labels/<image name>.txt holds one object per line, coordinates normalised to 0–1:
 *   boxes:     `class cx cy w h`
 *   polygons:  `class x1 y1 x2 y2 … xn yn` (segmentation, at least three points)
 * A detection task takes polygon lines as their bounding boxes (as Ultralytics does); a
 * segmentation task paints polygons with the even-odd pixel-centre rule and skips box lines.
 *
 * Export writes each mask class as one polygon that follows pixel edges, holes joined by
 * zero-width bridges (contract/geometry/contours.ts), so re-importing gives the same pixels.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { boxProblem, fillSpans, labelOutline, rasterizePolygon } from '../../../../contract/geometry/index';
import { LoupeError, type TaskKind } from '../../../../contract/index';
import type { ExportSource } from './export-data';
import { conventionalSubfolder, listFiles, requireFolder } from './files';
import { renamedAs, type ImageNames } from './image-names';
import { packMask } from './packed-mask';
import { PlanBuilder, type ImportPlan } from './import-plan';

export const YOLO_CLASSES = 'classes.txt';
/** Normalised coordinates may overshoot 0–1 by float noise; beyond this a point is outside the image. */
const NORMALISED_TOLERANCE = 1e-6;
/** Digits after the point in exported coordinates: 1e-7 of a 10 000-pixel side is a thousandth of a pixel. */
const DIGITS = 7;

async function readClassNames(folder: string): Promise<string[]> {
  const text = await readFile(path.join(folder, YOLO_CLASSES), 'utf8').catch(() => null);
  if (text !== null) {
    const lines = text.split(/\r?\n/).map((s) => s.trim());
    while (lines.length && !lines[lines.length - 1]) lines.pop();
    // Line k names class k - 1: dropping a blank line would give every later class the wrong name.
    const blank = lines.indexOf('');
    if (blank >= 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${YOLO_CLASSES} line ${blank + 1} is empty, so class ${blank} has no name; nothing was imported.`,
      );
    return lines;
  }
  const yaml = await readFile(path.join(folder, 'data.yaml'), 'utf8').catch(() => null);
  const names = yaml ? namesFromDataYaml(yaml) : null;
  if (names) return names;
  throw new LoupeError(
    'INVALID_REQUEST',
    `${folder} has no ${YOLO_CLASSES} (class names, one per line, index 0 first) and no data.yaml with names; Loupe cannot tell which class each index is.`,
  );
}

/** `names: [a, b]` or a `names:` block of `  0: a` lines — the two forms Ultralytics writes. */
export function namesFromDataYaml(yaml: string): string[] | null {
  const inline = /^names:\s*\[(.*)\]\s*$/m.exec(yaml);
  if (inline)
    return inline[1]!
      .split(',')
      .map((s) => s.trim().replace(/^['"]|['"]$/g, ''))
      .filter(Boolean);
  const block = /^names:\s*\n((?:[ \t]+\d+:.*\n?)+)/m.exec(yaml);
  if (!block) return null;
  const byIndex = new Map<number, string>();
  for (const line of block[1]!.split('\n')) {
    const m = /^\s+(\d+):\s*(.+?)\s*$/.exec(line);
    if (m) byIndex.set(Number(m[1]), m[2]!.replace(/^['"]|['"]$/g, ''));
  }
  // A gap ("0: a", "2: b") leaves a class index without a name: refused here, by name, instead of
  // failing later on the missing name (a fuzz finding: "Cannot read properties of undefined").
  const names = Array.from({ length: byIndex.size }, (_, k) => byIndex.get(k));
  const gap = names.findIndex((n) => n === undefined);
  if (gap >= 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `data.yaml gives no name for class ${gap}: its names must be numbered 0, 1, 2, … without gaps; nothing was imported.`,
    );
  return names as string[];
}

export async function readYolo(folder: string, names: ImageNames, target: TaskKind | undefined): Promise<ImportPlan> {
  await requireFolder(folder, 'YOLO');
  const classNames = await readClassNames(folder);
  const labelsDir = await conventionalSubfolder(folder, 'labels');
  const files = (await listFiles(labelsDir, '.txt')).filter(
    (f) => !(labelsDir === folder && (f === YOLO_CLASSES || f.endsWith('/classes.txt'))),
  );
  const parsed = await Promise.all(
    files.map(async (f) => ({ file: f, text: await readFile(path.join(labelsDir, f), 'utf8') })),
  );
  const anyPolygon = parsed.some(({ text }) => text.split(/\r?\n/).some((line) => line.trim().split(/\s+/).length > 5));
  const kind = target ?? (anyPolygon ? 'segmentation' : 'detection');
  if (kind !== 'detection' && kind !== 'segmentation')
    throw new LoupeError('INVALID_REQUEST', `YOLO files hold boxes or polygons, not ${kind} labels.`);
  const builder = new PlanBuilder(kind);
  // Every class of classes.txt, in its order, used or not: a new task's keys 1–9 follow the file.
  for (const name of classNames) builder.classOf(name);
  for (const { file, text } of parsed) {
    const found = names.find(file.replace(/\.txt$/i, ''));
    if ('problem' in found) {
      builder.skip(file, found.problem);
      continue;
    }
    const { image } = found;
    const { width: W, height: H } = image;
    const boxes: ImportPlan['boxes'] extends Map<number, infer B> ? B : never = [];
    const mask = kind === 'segmentation' ? new Uint8Array(W * H) : null;
    text.split(/\r?\n/).forEach((line, i) => {
      const where = `${file} line ${i + 1}`;
      const fields = line.trim().split(/\s+/).filter(Boolean);
      if (fields.length === 0) return;
      const bad = (reason: string): void => builder.malformed(image.id, where, reason);
      const numbers = fields.map(Number);
      const cls = numbers[0]!;
      if (!Number.isInteger(cls) || cls < 0 || cls >= classNames.length)
        return bad(`class ${fields[0]} is not an index of the ${classNames.length} classes in ${YOLO_CLASSES}`);
      if (numbers.some((v) => !Number.isFinite(v)))
        return bad(`has a value that is not a number: "${fields.find((f) => !Number.isFinite(Number(f)))}"`);
      const coords = numbers.slice(1);
      const outside = coords.some((v) => v < -NORMALISED_TOLERANCE || v > 1 + NORMALISED_TOLERANCE);
      const planClass = builder.classOf(classNames[cls]!);
      if (coords.length === 4) {
        if (mask) return bad('is a box; a segmentation task needs polygons');
        const [cx, cy, w, h] = coords as [number, number, number, number];
        const box = { x1: (cx - w / 2) * W, y1: (cy - h / 2) * H, x2: (cx + w / 2) * W, y2: (cy + h / 2) * H };
        const beyond =
          box.x1 < -NORMALISED_TOLERANCE * W ||
          box.y1 < -NORMALISED_TOLERANCE * H ||
          box.x2 > W * (1 + NORMALISED_TOLERANCE) ||
          box.y2 > H * (1 + NORMALISED_TOLERANCE);
        const problem =
          outside || beyond ? 'lies outside the image (coordinates must be 0–1)' : boxProblem(clampTo(box, W, H), W, H);
        if (problem) return bad(`box ${problem}`);
        boxes.push({ cls: planClass, ...clampTo(box, W, H) });
        return;
      }
      if (coords.length < 6 || coords.length % 2 !== 0)
        return bad('is neither a box (4 numbers) nor a polygon (3 or more x y pairs)');
      if (outside) return bad('has a point outside the image (coordinates must be 0–1)');
      const ring = coords.map((v, k) => v * (k % 2 === 0 ? W : H));
      if (mask) {
        fillSpans({ width: W, height: H, data: mask }, rasterizePolygon([ring], W, H), planClass);
      } else {
        const xs = ring.filter((_, k) => k % 2 === 0);
        const ys = ring.filter((_, k) => k % 2 === 1);
        const box = clampTo(
          { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) },
          W,
          H,
        );
        const problem = boxProblem(box, W, H);
        if (problem) return bad(`polygon's bounding box ${problem}`);
        boxes.push({ cls: planClass, ...box });
      }
    });
    if (mask) builder.plan.masks.set(image.id, new Map([[0, packMask(mask, W, H)]]));
    else builder.plan.boxes.set(image.id, boxes);
  }
  return builder.plan;
}

function clampTo(box: { x1: number; y1: number; x2: number; y2: number }, W: number, H: number) {
  const c = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return { x1: c(box.x1, W), y1: c(box.y1, H), x2: c(box.x2, W), y2: c(box.y2, H) };
}

const fmt = (v: number): string => String(Number(v.toFixed(DIGITS)));

export async function writeYolo(
  source: ExportSource,
  write: (relative: string, data: string) => Promise<void>,
  progress: () => void,
): Promise<number> {
  const { task } = source;
  const indexOf = new Map(task.classes.map((c, k) => [c.id, k]));
  let objects = 0;
  await write(YOLO_CLASSES, task.classes.map((c) => c.name).join('\n') + '\n');
  for (const image of source.images) {
    const { width: W, height: H } = image;
    const lines: string[] = [];
    if (task.kind === 'detection') {
      for (const b of source.boxes.get(image.id) ?? []) {
        lines.push(
          [
            indexOf.get(b.classId)!,
            fmt((b.x1 + b.x2) / 2 / W),
            fmt((b.y1 + b.y2) / 2 / H),
            fmt((b.x2 - b.x1) / W),
            fmt((b.y2 - b.y1) / H),
          ].join(' '),
        );
      }
    } else {
      const mask = await source.readMask(image.id);
      for (const cls of task.classes) {
        const outline = labelOutline(mask, cls.maskIndex!);
        if (outline)
          lines.push([indexOf.get(cls.id)!, ...outline.map((v, k) => fmt(v / (k % 2 === 0 ? W : H)))].join(' '));
      }
    }
    objects += lines.length;
    await write(
      `labels/${renamedAs(source.names.exportName(image), '.txt')}`,
      lines.length ? lines.join('\n') + '\n' : '',
    );
    progress();
  }
  return objects;
}
