/**
 * Folders of PNG masks: masks/<image name>.png, one 8-bit label-index image per image at source
 * resolution, and labelmap.csv (index,name,color) saying which value is which class. On import,
 * greyscale and palette PNGs are read as indices (palette PNGs as VOC's SegmentationClass files
 * are: the palette index is the class); without a labelmap, values map to the task's classes by
 * their mask index, or else become classes named after the value.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decode } from 'fast-png';
import { LoupeError, type LabelTask, type TaskKind } from '../../../../contract/index';
import { parseCsv, toCsv } from '../../csv';
import type { ExportSource } from './export-data';
import { encodeMaskPng } from '../mask-files';
import { conventionalSubfolder, listFiles, requireFolder } from './files';
import { renamedAs, type ImageNames } from './image-names';
import { packMask } from './packed-mask';
import { PlanBuilder, type ImportPlan } from './import-plan';

export const LABELMAP_FILE = 'labelmap.csv';

export async function readLabelmap(folder: string): Promise<Map<number, string> | null> {
  const text = await readFile(path.join(folder, LABELMAP_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (error) {
    throw new LoupeError('INVALID_REQUEST', `${LABELMAP_FILE} is not valid CSV: ${(error as Error).message}`);
  }
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const iIndex = header.indexOf('index');
  const iName = header.indexOf('name');
  if (iIndex < 0 || iName < 0)
    throw new LoupeError('INVALID_REQUEST', `${LABELMAP_FILE} needs the columns index and name.`);
  const map = new Map<number, string>();
  for (const row of rows) {
    const index = Number(row[iIndex]);
    if (!Number.isInteger(index) || index < 0 || index > 255)
      throw new LoupeError('INVALID_REQUEST', `${LABELMAP_FILE}: "${row[iIndex]}" is not a mask value from 0 to 255.`);
    if (index > 0) map.set(index, row[iName]!.trim());
  }
  return map;
}

/** Decodes a mask PNG to one index per pixel, or says why it cannot be a label mask. */
export function decodeIndexPng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } | string {
  let png;
  try {
    png = decode(bytes);
  } catch (error) {
    return `is not a readable PNG (${(error as Error).message})`;
  }
  if (png.depth !== 8) return `is a ${png.depth}-bit PNG; label masks are 8-bit`;
  const indexed = png.palette !== undefined;
  if (png.channels !== 1 && !(png.channels === 2 && !indexed))
    return 'is a colour PNG; label masks are greyscale or palette-index images';
  const data = new Uint8Array(png.width * png.height);
  const step = png.channels;
  for (let i = 0; i < data.length; i++) data[i] = png.data[i * step]!;
  return { width: png.width, height: png.height, data };
}

export async function readMaskFolder(
  folder: string,
  names: ImageNames,
  target: TaskKind | undefined,
  task: LabelTask | null,
): Promise<ImportPlan> {
  if (target && target !== 'segmentation')
    throw new LoupeError('INVALID_REQUEST', `A folder of mask PNGs fills a segmentation task, not a ${target} task.`);
  await requireFolder(folder, 'Mask folder');
  const labelmap = await readLabelmap(folder);
  const dir = await conventionalSubfolder(folder, 'masks');
  const builder = new PlanBuilder('segmentation');
  if (labelmap) for (const value of [...labelmap.keys()].sort((a, b) => a - b)) builder.classOf(labelmap.get(value)!);
  const byTaskIndex = new Map((task?.classes ?? []).map((c) => [c.maskIndex, c.name]));
  for (const file of await listFiles(dir, '.png')) {
    const found = names.find(file.replace(/\.png$/i, ''));
    if ('problem' in found) {
      builder.skip(file, found.problem);
      continue;
    }
    const { image } = found;
    const decoded = decodeIndexPng(await readFile(path.join(dir, file)));
    if (typeof decoded === 'string') {
      builder.skip(file, decoded);
      continue;
    }
    if (decoded.width !== image.width || decoded.height !== image.height) {
      builder.skip(
        file,
        `is ${decoded.width}×${decoded.height} but the image is ${image.width}×${image.height}; masks must be at source resolution`,
      );
      continue;
    }
    const lut = new Uint8Array(256);
    const present = new Set(decoded.data);
    let problem: string | null = null;
    for (const value of [...present].sort((a, b) => a - b)) {
      if (value === 0) continue;
      const name = labelmap ? labelmap.get(value) : (byTaskIndex.get(value) ?? String(value));
      if (name === undefined) {
        problem = `has pixels of value ${value}, which ${LABELMAP_FILE} does not name`;
        break;
      }
      lut[value] = builder.classOf(name);
    }
    if (problem) {
      builder.skip(file, problem);
      continue;
    }
    for (let i = 0; i < decoded.data.length; i++) decoded.data[i] = lut[decoded.data[i]!]!;
    builder.plan.masks.set(image.id, new Map([[0, packMask(decoded.data, image.width, image.height)]]));
  }
  return builder.plan;
}

export async function writeMaskFolder(
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
    const mask = await source.readMask(image.id);
    await write(`masks/${renamedAs(source.names.exportName(image), '.png')}`, await encodeMaskPng(mask));
    progress();
  }
  return source.images.length;
}
