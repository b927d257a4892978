/**
 * Pascal VOC XML: one Annotations/<image>.xml per image with <filename>, <size> and <object>s of
 * <name> and <bndbox>. VOC counts pixels from 1 and includes both ends (the devkit's convention,
 * which Detectron2 undoes by subtracting 1 from xmin/ymin): a box over pixel columns 0–9 is
 * xmin 1, xmax 10. So Loupe writes xmin = x1 + 1, xmax = x2 and reads x1 = xmin − 1, x2 = xmax.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { boxProblem } from '../../../../contract/geometry/index';
import { LoupeError, type TaskKind } from '../../../../contract/index';
import type { ExportSource } from './export-data';
import { conventionalSubfolder, listFiles, requireFolder } from './files';
import { renamedAs, type ImageNames } from './image-names';
import { PlanBuilder, type ImportPlan } from './import-plan';

/** Digits kept for fractional box edges (VOC files are usually whole pixels). */
const DIGITS = 3;

interface VocObject {
  name?: unknown;
  bndbox?: { xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown };
}

export async function readVoc(folder: string, names: ImageNames, target: TaskKind | undefined): Promise<ImportPlan> {
  if (target && target !== 'detection')
    throw new LoupeError('INVALID_REQUEST', `Pascal VOC XML holds boxes; it cannot fill a ${target} task.`);
  await requireFolder(folder, 'Pascal VOC');
  const dir = await conventionalSubfolder(folder, 'Annotations');
  const builder = new PlanBuilder('detection');
  const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'object' });
  for (const file of await listFiles(dir, '.xml')) {
    const text = await readFile(path.join(dir, file), 'utf8');
    const valid = XMLValidator.validate(text);
    if (valid !== true) {
      builder.skip(file, `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
      continue;
    }
    const doc = parser.parse(text) as { annotation?: { filename?: unknown; object?: VocObject[] } };
    if (!doc.annotation) {
      builder.skip(file, 'has no <annotation> element');
      continue;
    }
    const filename =
      typeof doc.annotation.filename === 'string' && doc.annotation.filename.trim()
        ? doc.annotation.filename
        : file.replace(/\.xml$/i, '');
    // The file's own path under Annotations/ is more specific than <filename> (often a bare name).
    const byPath = names.find(file.replace(/\.xml$/i, ''));
    const found = 'image' in byPath ? byPath : names.find(filename);
    if ('problem' in found) {
      builder.skip(file, found.problem);
      continue;
    }
    const { image } = found;
    const boxes: ImportPlan['boxes'] extends Map<number, infer B> ? B : never = [];
    (doc.annotation.object ?? []).forEach((object, i) => {
      const where = `${file} object ${i + 1}`;
      const name = typeof object.name === 'string' ? object.name.trim() : '';
      if (!name) return builder.malformed(image.id, where, 'has no <name>');
      const b = object.bndbox ?? {};
      const [xmin, ymin, xmax, ymax] = [b.xmin, b.ymin, b.xmax, b.ymax].map((v) => Number(v));
      if (![xmin, ymin, xmax, ymax].every(Number.isFinite))
        return builder.malformed(image.id, where, 'has no <bndbox> with numeric xmin, ymin, xmax, ymax');
      const box = { x1: xmin! - 1, y1: ymin! - 1, x2: xmax!, y2: ymax! };
      const problem = boxProblem(box, image.width, image.height);
      if (problem) return builder.malformed(image.id, where, `box ${problem}`);
      boxes.push({ cls: builder.classOf(name), ...box });
    });
    builder.plan.boxes.set(image.id, boxes);
  }
  return builder.plan;
}

const fmt = (v: number): number => Number(v.toFixed(DIGITS));

export async function writeVoc(
  source: ExportSource,
  write: (relative: string, data: string) => Promise<void>,
  progress: () => void,
): Promise<number> {
  const builder = new XMLBuilder({ format: true, indentBy: '  ', suppressEmptyNode: false });
  const nameOf = new Map(source.task.classes.map((c) => [c.id, c.name]));
  let objects = 0;
  for (const image of source.images) {
    const name = source.names.exportName(image);
    const boxes = source.boxes.get(image.id) ?? [];
    objects += boxes.length;
    const xml = builder.build({
      annotation: {
        folder: path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name),
        filename: path.posix.basename(name),
        path: image.path,
        source: { database: 'Loupe' },
        size: { width: image.width, height: image.height, depth: 1 },
        segmented: 0,
        object: boxes.map((b) => ({
          name: nameOf.get(b.classId),
          pose: 'Unspecified',
          truncated: 0,
          difficult: 0,
          bndbox: { xmin: fmt(b.x1 + 1), ymin: fmt(b.y1 + 1), xmax: fmt(b.x2), ymax: fmt(b.y2) },
        })),
      },
    }) as string;
    await write(`Annotations/${renamedAs(name, '.xml')}`, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    progress();
  }
  return objects;
}
