/**
 * labels.import and labels.export: pick the reader or writer for the format, check it fits the
 * task's kind, and run it (import through the all-or-nothing ImportPlan).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  LABEL_FORMAT_KINDS,
  LoupeError,
  type ExportReport,
  type LabelsImportReport,
  type LabelFormat,
  type ParsedRequestOf,
  type TaskKind,
} from '../../../../contract/index';
import { writeFileAtomic } from '../../../../base/atomic-write';
import type { Workspace } from '../../workspace/workspace';
import { allImages } from '../images';
import { readCoco, writeCoco } from './coco';
import { readCsvLabels, writeCsvLabels } from './csv-labels';
import { exportSource, refuseFrameMasks } from './export-data';
import { ImageNames } from './image-names';
import type { ImportImages } from './dataset-images';
import { readImageFolder, writeImageFolder } from './image-folder';
import { readImageMasks, writeImageMasks } from './image-mask';
import { readMaskFolder, writeMaskFolder } from './mask-folder';
import type { ImportPlan } from './import-plan';
import { applyPlan, importTarget } from './plan';
import { readVoc, writeVoc } from './voc';
import { readYolo, writeYolo } from './yolo';

/** Which task kinds each format can carry. */
export const FORMAT_KINDS = LABEL_FORMAT_KINDS;

function checkFits(format: LabelFormat, kind: TaskKind, taskName: string): void {
  if (!FORMAT_KINDS[format].includes(kind)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `"${taskName}" is a ${kind} task; ${format} carries ${FORMAT_KINDS[format].join(' or ')} labels.`,
    );
  }
}

export async function importLabels(
  ws: Workspace,
  request: ParsedRequestOf<'labels.import'>,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
  importImages: ImportImages,
): Promise<LabelsImportReport> {
  if (request.columns && request.format !== 'csv')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Column names (--columns) are for CSV imports; ${request.format} has no columns.`,
    );
  const { task, kind } = importTarget(ws.db, request);
  if (kind) checkFits(request.format, kind, task?.name ?? request.taskName!);
  const names = new ImageNames(allImages(ws.db));
  const withImages = {
    dryRun: request.dryRun,
    skipMalformed: request.skipMalformed,
    split: request.split,
    importImages,
    signal,
    progress,
  };
  let plan: ImportPlan;
  let imagesAdded = 0;
  switch (request.format) {
    case 'coco':
      plan = await readCoco(request.path, names, kind);
      break;
    case 'yolo':
      plan = await readYolo(request.path, names, kind);
      break;
    case 'voc':
      plan = await readVoc(request.path, names, kind);
      break;
    case 'masks':
      plan = await readMaskFolder(request.path, names, kind, task);
      break;
    case 'csv':
      plan = await readCsvLabels(request.path, names, kind, request.columns);
      break;
    case 'imagefolder':
      ({ plan, imagesAdded } = await readImageFolder(ws, request.path, withImages));
      break;
    case 'image-mask':
      ({ plan, imagesAdded } = await readImageMasks(ws, request.path, task, withImages));
      break;
  }
  return applyPlan(ws, request, plan, progress, signal, imagesAdded);
}

export async function exportLabels(
  ws: Workspace,
  request: ParsedRequestOf<'labels.export'>,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<ExportReport> {
  const source = exportSource(ws, request.taskId);
  checkFits(request.format, source.task.kind, source.task.name);
  if (source.task.kind === 'segmentation' && request.format !== 'image-mask') refuseFrameMasks(source, request.format);
  const out = path.resolve(request.out);
  let files = 0;
  const write = async (relative: string, data: string | Uint8Array): Promise<void> => {
    if (signal.aborted)
      throw new LoupeError(
        'CANCELLED',
        'Export cancelled; the files written so far are complete but the export is not.',
      );
    const target = path.resolve(out, relative);
    // Names come from image paths; refuse anything that would land outside the chosen folder.
    if (!target.startsWith(out + path.sep))
      throw new LoupeError('INTERNAL', `Refusing to write ${relative} outside ${out}.`);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, data);
    } catch (error) {
      throw new LoupeError('IO_ERROR', `Could not write ${target}: ${(error as Error).message}`, { cause: error });
    }
    files++;
  };
  const total = source.images.length;
  let done = 0;
  const step = (): void => progress(++done, total);
  const exported = { classTags: 0, boxes: 0, masks: 0, pairs: 0 };
  switch (request.format) {
    case 'coco': {
      const n = await writeCoco(source, write, step);
      if (source.task.kind === 'detection') exported.boxes = n;
      else exported.masks = source.images.length;
      break;
    }
    case 'yolo': {
      const n = await writeYolo(source, write, step);
      if (source.task.kind === 'detection') exported.boxes = n;
      else exported.masks = source.images.length;
      break;
    }
    case 'voc':
      exported.boxes = await writeVoc(source, write, step);
      break;
    case 'masks':
      exported.masks = await writeMaskFolder(source, write, step);
      break;
    case 'imagefolder':
      exported.classTags = await writeImageFolder(source, write, step);
      break;
    case 'image-mask':
      exported.masks = await writeImageMasks(source, write, step);
      break;
    case 'csv': {
      const pairs = (
        ws.db
          .prepare('SELECT image_a AS a, image_b AS b, same FROM pairs WHERE task_id = ? ORDER BY id')
          .all(request.taskId) as { a: number; b: number; same: number }[]
      ).map((p) => ({ ...p, same: p.same === 1 }));
      const n = await writeCsvLabels(source, write, pairs);
      if (source.task.kind === 'verification') exported.pairs = n;
      else exported.classTags = n;
      break;
    }
  }
  const images =
    source.task.kind === 'verification'
      ? new Set(
          ws.db
            .prepare(
              'SELECT image_a FROM pairs WHERE task_id = @id UNION SELECT image_b FROM pairs WHERE task_id = @id',
            )
            .pluck()
            .all({ id: request.taskId }),
        ).size
      : source.images.length;
  return { taskId: source.task.id, format: request.format, out, files, images, exported };
}
