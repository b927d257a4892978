/**
 * CSV for class tags (`image,class`, one row per tag, so a multi-label image has several rows)
 * and for pairs (`image_a,image_b,same`, same as 1/0, true/false, yes/no or same/different).
 */
import { readFile } from 'node:fs/promises';
import { LoupeError, type TaskKind } from '../../../../contract/index';
import { parseCsv, toCsv } from '../../csv';
import type { ExportSource } from './export-data';
import type { ImageNames } from './image-names';
import { PlanBuilder, type ImportPlan } from './import-plan';

export const CLASSES_CSV = 'classes.csv';
export const PAIRS_CSV = 'pairs.csv';

const SAME = new Map([
  ['1', true],
  ['true', true],
  ['yes', true],
  ['same', true],
  ['0', false],
  ['false', false],
  ['no', false],
  ['different', false],
]);

export async function readCsvLabels(
  file: string,
  names: ImageNames,
  target: TaskKind | undefined,
): Promise<ImportPlan> {
  let rows: string[][];
  try {
    rows = parseCsv(await readFile(file, 'utf8'));
  } catch (error) {
    throw new LoupeError('INVALID_REQUEST', `${file} is not a readable CSV file: ${(error as Error).message}`);
  }
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = (...options: string[]): number => header.findIndex((h) => options.includes(h));
  const pairs = col('image_a') >= 0 && col('image_b') >= 0;
  const kind = target ?? (pairs ? 'verification' : 'classification');
  if (kind === 'verification') {
    const [a, b, s] = [col('image_a'), col('image_b'), col('same')];
    if (a < 0 || b < 0 || s < 0)
      throw new LoupeError('INVALID_REQUEST', `${file} needs the columns image_a, image_b and same for pairs.`);
    const builder = new PlanBuilder('verification');
    rows.forEach((row, i) => {
      const where = `line ${i + 2}`;
      const first = names.find(row[a] ?? '');
      const second = names.find(row[b] ?? '');
      const same = SAME.get((row[s] ?? '').trim().toLowerCase());
      if ('problem' in first) return builder.skip(where, first.problem);
      if ('problem' in second) return builder.skip(where, second.problem);
      if (same === undefined)
        return builder.skip(where, `same is "${row[s]}"; write 1 or 0 (or true/false, same/different)`);
      if (first.image.id === second.image.id) return builder.skip(where, 'pairs an image with itself');
      builder.plan.pairs.push({ imageA: first.image.id, imageB: second.image.id, same });
    });
    return builder.plan;
  }
  if (kind !== 'classification')
    throw new LoupeError('INVALID_REQUEST', `CSV holds class tags or pairs, not ${kind} labels.`);
  const [iImage, iClass] = [col('image', 'file', 'file_name', 'filename'), col('class', 'label')];
  if (iImage < 0 || iClass < 0) throw new LoupeError('INVALID_REQUEST', `${file} needs the columns image and class.`);
  const builder = new PlanBuilder('classification');
  rows.forEach((row, i) => {
    const where = `line ${i + 2}`;
    const found = names.find(row[iImage] ?? '');
    if ('problem' in found) return builder.skip(where, found.problem);
    const name = (row[iClass] ?? '').trim();
    const tags = builder.plan.classTags.get(found.image.id) ?? [];
    builder.plan.classTags.set(found.image.id, tags);
    // A row without a class is a broken row, never "no tags": it must not clear the image's tags.
    if (!name) return builder.malformed(found.image.id, where, `has no value in the ${header[iClass]} column`);
    tags.push(builder.classOf(name));
  });
  return builder.plan;
}

export async function writeCsvLabels(
  source: ExportSource,
  write: (relative: string, data: string) => Promise<void>,
  pairs: { a: number; b: number; same: boolean }[],
): Promise<number> {
  const { task } = source;
  if (task.kind === 'verification') {
    const byId = new Map(source.names.images.map((i) => [i.id, i]));
    await write(
      PAIRS_CSV,
      toCsv([
        ['image_a', 'image_b', 'same'],
        ...pairs.map((p) => [
          source.names.exportName(byId.get(p.a)!),
          source.names.exportName(byId.get(p.b)!),
          p.same ? 1 : 0,
        ]),
      ]),
    );
    return pairs.length;
  }
  const nameOf = new Map(task.classes.map((c) => [c.id, c.name]));
  const rows: string[][] = [];
  for (const image of source.images)
    for (const id of source.tags.get(image.id) ?? []) rows.push([source.names.exportName(image), nameOf.get(id)!]);
  await write(CLASSES_CSV, toCsv([['image', 'class'], ...rows]));
  return rows.length;
}
