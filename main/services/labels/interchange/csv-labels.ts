/**
 * CSV for class tags (`image,class,split`, one row per tag, so a multi-label image has several rows;
 * split optional) and for pairs (`image_a,image_b,same` or the other usual headers, same as 1/0,
 * true/false, yes/no or same/different).
 */
import { readFile } from 'node:fs/promises';
import { LoupeError, type CsvColumnRole, type TaskKind } from '../../../../contract/index';
import { parseCsv, toCsv } from '../../csv';
import { splitOf } from './dataset-images';
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

/**
 * The headers each column goes by, as the usual tools write them (`image_a,image_b,same`, `a,b,same`,
 * `img1,img2,label`, `left,right,is_same`); `label` is the class of a class CSV and `same` of pairs.
 */
const HEADERS: Record<CsvColumnRole, readonly string[]> = {
  image: ['image', 'file', 'file_name', 'filename', 'path'],
  class: ['class', 'label'],
  split: ['split', 'subset'],
  a: ['image_a', 'a', 'img1', 'image1', 'left'],
  b: ['image_b', 'b', 'img2', 'image2', 'right'],
  same: ['same', 'is_same', 'label'],
};

type Columns = Partial<Record<CsvColumnRole, string>>;

/** Column index of each role: the one `columns` names, else the first header the role goes by. */
function columnsOf(file: string, header: string[], columns: Columns | undefined): (role: CsvColumnRole) => number {
  for (const [role, name] of Object.entries(columns ?? {}))
    if (!header.includes(name.trim().toLowerCase()))
      throw new LoupeError(
        'INVALID_REQUEST',
        `${file} has no column "${name}" (given for ${role}); its columns are ${header.join(', ') || 'none'}.`,
      );
  return (role) => {
    const given = columns?.[role];
    if (given) return header.indexOf(given.trim().toLowerCase());
    return header.findIndex((h) => HEADERS[role].includes(h));
  };
}

export async function readCsvLabels(
  file: string,
  names: ImageNames,
  target: TaskKind | undefined,
  columns?: Columns,
): Promise<ImportPlan> {
  let rows: string[][];
  try {
    rows = parseCsv(await readFile(file, 'utf8'));
  } catch (error) {
    throw new LoupeError('INVALID_REQUEST', `${file} is not a readable CSV file: ${(error as Error).message}`);
  }
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = columnsOf(file, header, columns);
  const pairs = col('a') >= 0 && col('b') >= 0;
  const kind = target ?? (pairs ? 'verification' : 'classification');
  if (kind === 'verification') {
    const [a, b, s] = [col('a'), col('b'), col('same')];
    if (a < 0 || b < 0 || s < 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${file} has the columns ${header.join(', ') || 'none'}; pairs need two image columns and a same column ` +
          '(image_a,image_b,same or a,b,same or img1,img2,label or left,right,is_same), or say which is which with --columns a=COL,b=COL,same=COL.',
      );
    const builder = new PlanBuilder('verification');
    rows.forEach((row, i) => {
      const where = `line ${i + 2}`;
      const first = names.find(row[a] ?? '');
      const second = names.find(row[b] ?? '');
      const same = SAME.get((row[s] ?? '').trim().toLowerCase());
      if ('problem' in first) return builder.skip(where, first.problem);
      if ('problem' in second) return builder.skip(where, second.problem);
      if (same === undefined)
        return builder.skip(where, `${header[s]} is "${row[s]}"; write 1 or 0 (or true/false, same/different)`);
      if (first.image.id === second.image.id) return builder.skip(where, 'pairs an image with itself');
      builder.plan.pairs.push({ imageA: first.image.id, imageB: second.image.id, same });
    });
    return builder.plan;
  }
  if (kind !== 'classification')
    throw new LoupeError('INVALID_REQUEST', `CSV holds class tags or pairs, not ${kind} labels.`);
  const [iImage, iClass, iSplit] = [col('image'), col('class'), col('split')];
  if (iImage < 0 || iClass < 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${file} has the columns ${header.join(', ') || 'none'}; class tags need image and class (or say which is which with --columns image=COL,class=COL).`,
    );
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
    const splitText = iSplit >= 0 ? (row[iSplit] ?? '').trim() : '';
    const split = splitText ? splitOf(splitText) : null;
    if (split === undefined)
      return builder.malformed(
        found.image.id,
        where,
        `split is "${splitText}"; write train, val or test (or leave it empty)`,
      );
    tags.push(builder.classOf(name));
    if (split) builder.plan.splits.set(found.image.id, split);
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
          source.names.csvName(byId.get(p.a)!),
          source.names.csvName(byId.get(p.b)!),
          p.same ? 1 : 0,
        ]),
      ]),
    );
    return pairs.length;
  }
  const nameOf = new Map(task.classes.map((c) => [c.id, c.name]));
  const rows: string[][] = [];
  for (const image of source.images)
    for (const id of source.tags.get(image.id) ?? [])
      rows.push([source.names.csvName(image), nameOf.get(id)!, source.splits.get(image.id) ?? '']);
  await write(CLASSES_CSV, toCsv([['image', 'class', 'split'], ...rows]));
  return rows.length;
}
