/**
 * A workspace task → the engine's dataset description: every image of the task that has a
 * split and a usable label, named by its file path (the engine decodes it with the imaging
 * decoders) and its workspace image id. Masks are read from their PNG files (checksums checked)
 * and renumbered from mask values to class indices. Nothing a file says (DICOM strings) builds
 * a path: paths come from the images table, which the import filled.
 *
 * What is left out is counted by reason, so the user sees why a run trains on fewer images.
 */
import {
  LoupeError,
  type DatasetReport,
  type DatasetSample,
  type LabelTask,
  type SplitName,
  type TaskKind,
  type TrainingDataset,
} from '../../../contract/index';
import { readMaskFile } from '../labels/mask-files';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';

/** Name of the class every segmentation mask's 0 stands for. */
export const BACKGROUND_CLASS = 'background';
/** Sizes listed in a dataset report: the most common few are what the user needs to see. */
const REPORTED_SIZES = 5;

interface ImageRow {
  id: number;
  path: string;
  rows: number;
  columns: number;
  samples_per_pixel: number;
  bits_stored: number;
  format: string;
  modality: string | null;
  missing: number;
  split: SplitName | null;
}

export interface TaskDataset {
  task: LabelTask;
  dataset: TrainingDataset;
  report: DatasetReport;
  /** Sample id → the image it came from. */
  images: Map<string, { imageId: number; path: string }>;
}

/** The sample id of a workspace image (what run records and predictions name). */
export function sampleId(imageId: number): string {
  return String(imageId);
}

/** Kinds this version trains from a workspace task. */
export const TRAINABLE_KINDS: readonly TaskKind[] = ['classification', 'segmentation'];

interface Chosen {
  row: ImageRow;
  label?: number;
  mask?: MaskRow;
}

/** The task's images a run would use, with their labels (masks not read yet), and what was left out. */
function chooseImages(ws: Workspace, task: LabelTask): { chosen: Chosen[]; skipped: Map<string, number> } {
  if (!TRAINABLE_KINDS.includes(task.kind)) {
    throw new LoupeError('INVALID_REQUEST', `“${task.name}” is a ${task.kind} task; this version of Loupe trains classification and segmentation tasks.`);
  }
  if (task.kind === 'classification' && task.multiLabel) {
    throw new LoupeError('INVALID_REQUEST', `“${task.name}” lets an image carry several classes; Loupe trains single-label classifiers, so make a single-label task for training.`);
  }
  const minClasses = task.kind === 'classification' ? 2 : 1;
  if (task.classes.length < minClasses) {
    throw new LoupeError('INVALID_REQUEST', `“${task.name}” has ${task.classes.length} class${task.classes.length === 1 ? '' : 'es'}; training needs at least ${minClasses}.`);
  }
  const rows = ws.db
    .prepare(
      `SELECT i.id, i.path, i.rows, i.columns, i.samples_per_pixel, i.bits_stored, i.format, i.modality, i.missing, s.split
       FROM images i LEFT JOIN split_assignments s ON s.image_id = i.id AND s.task_id = ?
       ORDER BY i.id`,
    )
    .all(task.id) as ImageRow[];
  const skipped = new Map<string, number>();
  const skip = (reason: string): void => void skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  const chosen: Chosen[] = [];
  const labelOf = task.kind === 'classification' ? classTags(ws, task) : null;
  const masks = task.kind === 'segmentation' ? maskRows(ws, task.id) : null;
  for (const row of rows) {
    if (labelOf) {
      const tags = labelOf.get(row.id) ?? [];
      if (tags.length === 0) continue; // Not labelled in this task: not part of its dataset.
      if (tags.length > 1) {
        skip('several class tags');
        continue;
      }
      if (usable(row, skip)) chosen.push({ row, label: tags[0]! });
    } else {
      const mask = masks!.get(row.id);
      if (!mask || !usable(row, skip)) continue;
      if (mask.width !== row.columns || mask.height !== row.rows) skip('mask size differs from the image');
      else chosen.push({ row, mask });
    }
  }
  if (chosen.length === 0) {
    const why = skipped.size ? ` (${[...skipped].map(([r, n]) => `${n} with ${r}`).join(', ')})` : '';
    throw new LoupeError('INVALID_REQUEST', `“${task.name}” has no labelled image with a train, val or test split${why}. Label images and assign splits first.`);
  }
  return { chosen, skipped };
}

function classesOf(task: LabelTask): string[] {
  return task.kind === 'segmentation' ? [BACKGROUND_CLASS, ...task.classes.map((c) => c.name)] : task.classes.map((c) => c.name);
}

/** What a run on the task would train on, without reading any mask file (for the defaults). */
export function describeTaskDataset(ws: Workspace, taskId: number): { task: LabelTask; report: DatasetReport } {
  const task = requireTask(ws.db, taskId);
  const { chosen, skipped } = chooseImages(ws, task);
  return { task, report: reportOf(classesOf(task), chosen.map((c) => c.row), skipped) };
}

export async function buildTaskDataset(ws: Workspace, taskId: number, options: { signal?: AbortSignal } = {}): Promise<TaskDataset> {
  const task = requireTask(ws.db, taskId);
  const { chosen, skipped } = chooseImages(ws, task);
  const maskLut = maskValueToClass(task);
  const samples: DatasetSample[] = [];
  for (const { row, label, mask } of chosen) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const base = { id: sampleId(row.id), split: row.split!, image: { path: row.path, frameIndex: 0 } };
    if (mask) {
      const decoded = await readMaskFile(ws.root, mask.file, mask.sha256);
      const data = new Uint8Array(decoded.data.length);
      for (let i = 0; i < data.length; i++) data[i] = maskLut[decoded.data[i]!]!;
      samples.push({ ...base, mask: { data, rows: row.rows, columns: row.columns } });
    } else {
      samples.push({ ...base, label: label! });
    }
  }
  const classes = classesOf(task);
  return {
    task,
    dataset: { task: task.kind, classes, samples },
    report: reportOf(classes, chosen.map((c) => c.row), skipped),
    images: new Map(chosen.map(({ row }) => [sampleId(row.id), { imageId: row.id, path: row.path }])),
  };
}

/** Images a run cannot use even when labelled: no split, or the file is gone. */
function usable(row: ImageRow, skip: (reason: string) => void): boolean {
  if (row.missing) {
    skip('the image file missing (relink it)');
    return false;
  }
  if (!row.split) {
    skip('no train/val/test split');
    return false;
  }
  return true;
}

/** Image id → class indices (by the task's class order) of its tags. */
function classTags(ws: Workspace, task: LabelTask): Map<number, number[]> {
  const index = new Map(task.classes.map((c, i) => [c.id, i]));
  const out = new Map<number, number[]>();
  for (const row of ws.db.prepare('SELECT image_id, class_id FROM class_tags WHERE task_id = ?').all(task.id) as { image_id: number; class_id: number }[]) {
    const list = out.get(row.image_id) ?? [];
    list.push(index.get(row.class_id)!);
    out.set(row.image_id, list);
  }
  return out;
}

interface MaskRow {
  file: string;
  sha256: string;
  width: number;
  height: number;
}

function maskRows(ws: Workspace, taskId: number): Map<number, MaskRow> {
  const rows = ws.db.prepare('SELECT image_id, file, sha256, width, height FROM masks WHERE task_id = ?').all(taskId) as (MaskRow & { image_id: number })[];
  return new Map(rows.map((r) => [r.image_id, r]));
}

/**
 * Mask PNG value → class index (0 background, then the task's classes in order). A value no
 * class owns (left by an edit outside Loupe) counts as background.
 */
export function maskValueToClass(task: LabelTask): Uint8Array {
  const lut = new Uint8Array(256);
  task.classes.forEach((c, i) => {
    if (c.maskIndex !== null) lut[c.maskIndex] = i + 1;
  });
  return lut;
}

function reportOf(classes: string[], used: ImageRow[], skipped: Map<string, number>): DatasetReport {
  const counts = { train: 0, val: 0, test: 0 };
  for (const row of used) counts[row.split!]++;
  const sizes = new Map<string, { rows: number; columns: number; images: number }>();
  for (const row of used) {
    const key = `${row.rows}x${row.columns}`;
    const entry = sizes.get(key) ?? { rows: row.rows, columns: row.columns, images: 0 };
    entry.images++;
    sizes.set(key, entry);
  }
  return {
    classes,
    counts,
    skipped: [...skipped].map(([reason, images]) => ({ reason, images })),
    sizes: [...sizes.values()].sort((a, b) => b.images - a.images).slice(0, REPORTED_SIZES),
    channels: used.some((r) => r.samples_per_pixel >= 3) ? 3 : 1,
    bitsStored: Math.max(...used.map((r) => r.bits_stored)),
    modalities: [...new Set(used.map((r) => r.modality).filter((m): m is string => !!m))],
  };
}
