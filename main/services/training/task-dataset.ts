/**
 * A workspace task → the engine's dataset description: every image of the task that has a
 * split and a usable label, named by its file path (the engine decodes it with the imaging
 * decoders) and its workspace image id. Classification: the image's one class tag; segmentation:
 * its mask, read from its PNG file (checksum checked) and renumbered from mask values to class
 * indices; detection: its boxes (an image saved without boxes was checked and found empty);
 * verification: the task's same/different pairs, both images in one split, or (a verifier trained
 * on a classification task) each image's class as its identity. Nothing a file says
 * (DICOM strings) builds a path: paths come from the images table, which the import filled.
 *
 * What is left out is counted by reason, so the user sees why a run trains on fewer images.
 */
import {
  LoupeError,
  type DatasetReport,
  type DatasetSample,
  type LabelTask,
  type LabelledPairInput,
  type SampleBox,
  type SplitName,
  type TaskKind,
  type TrainingDataset,
  type VerificationDatasetReport,
} from '../../../contract/index';
import { readMaskFile } from '../labels/mask-files';
import { taskImageFilter } from '../labels/task-images';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';
import { reportOf, type ImageRow } from './dataset-report';
import { readLabels, type MaskRow } from './task-labels';
import {
  identityReport,
  PAIR_IMAGE_LEFT_OUT,
  PAIR_IN_TWO_SPLITS,
  pairReport,
  trainedKind,
  trainsIdentities,
  trainSplitRefusal,
} from './verification-dataset';
import { chosenFrames, effectiveFrames, expandFrames, frameSampleId } from './task-frames';

/** Name of the class every segmentation mask's 0 stands for. */
export const BACKGROUND_CLASS = 'background';

export interface TaskDataset {
  task: LabelTask;
  /** What the run trains: the task's kind, or verification on a classification task. */
  kind: TaskKind;
  dataset: TrainingDataset;
  report: DatasetReport;
  /** Sample id → the image it came from. */
  images: Map<string, { imageId: number; path: string }>;
}

/** The sample id of a workspace image (what run records and predictions name). */
export function sampleId(imageId: number): string {
  return String(imageId);
}

/** Fewest classes a task needs to train: a classifier tells two apart; masks and boxes may mark one kind. */
const MIN_CLASSES: Record<TaskKind, number> = { classification: 2, segmentation: 1, detection: 1, verification: 0 };

interface Chosen {
  row: ImageRow;
  label?: number;
  /** Segmentation: the mask of each frame the run uses (only frames that have one). */
  masks?: Map<number, MaskRow>;
  boxes?: SampleBox[];
  /** Verification from a classification task: the image's class name. */
  identity?: string;
}

interface Choice {
  chosen: Chosen[];
  pairs: LabelledPairInput[];
  skipped: Map<string, number>;
  verification?: VerificationDatasetReport;
}

/** The task's images a run of `kind` would use, with their labels (masks not read yet), and what was left out. */
function chooseImages(ws: Workspace, task: LabelTask, kind: TaskKind): Choice {
  if (task.kind === 'classification' && task.multiLabel) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${task.name}” lets an image carry several classes; Loupe trains single-label classifiers, so make a single-label task for training.`,
    );
  }
  const minClasses = MIN_CLASSES[task.kind];
  if (task.classes.length < minClasses) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${task.name}” has ${task.classes.length} class${task.classes.length === 1 ? '' : 'es'}; training needs at least ${minClasses}.`,
    );
  }
  // Only the task's chosen images: labels of images outside them are kept but never trained or scored on.
  const inTask = taskImageFilter(ws.db, task.id);
  const rows = (
    ws.db
      .prepare(
        `SELECT i.id, i.path, i.rows, i.columns, i.samples_per_pixel, i.bits_stored, i.format, i.modality, i.missing, s.split, i.frames
       FROM images i LEFT JOIN split_assignments s ON s.image_id = i.id AND s.task_id = ?
       ORDER BY i.id`,
      )
      .all(task.id) as ImageRow[]
  ).filter((row) => inTask(row.id));
  const skipped = new Map<string, number>();
  const skip = (reason: string, n = 1): void => void skipped.set(reason, (skipped.get(reason) ?? 0) + n);
  const labels = readLabels(ws, task);
  const inPairs = new Set(labels.pairs?.flatMap((p) => [p.a, p.b]));
  const chosen: Chosen[] = [];
  for (const row of rows) {
    switch (task.kind) {
      case 'classification': {
        const tags = labels.tags!.get(row.id) ?? [];
        if (tags.length === 0) continue; // Not labelled in this task: not part of its dataset.
        if (tags.length > 1) skip('images with several class tags');
        else if (usable(row, skip))
          chosen.push({
            row,
            label: tags[0]!,
            ...(trainsIdentities(task, kind) ? { identity: task.classes[tags[0]!]!.name } : {}),
          });
        break;
      }
      case 'segmentation': {
        const masks = labels.masks!.get(row.id);
        if (!masks || !usable(row, skip)) continue;
        const wanted = chosenFrames(row.frames, effectiveFrames(task.frames, kind));
        const used = new Map(wanted.flatMap((f) => (masks.has(f) ? [[f, masks.get(f)!] as const] : [])));
        if (used.size === 0) skip(`images whose masks are not on the frame the task trains on (${task.frames})`);
        else if ([...used.values()].some((m) => m.width !== row.columns || m.height !== row.rows))
          skip('images whose mask size differs from the image');
        else {
          if (used.size < wanted.length) skip('frames without a mask (unlabelled frames)', wanted.length - used.size);
          chosen.push({ row, masks: used });
        }
        break;
      }
      case 'detection': {
        const boxes = labels.boxes!.get(row.id);
        if ((boxes || labels.saved!.has(row.id)) && usable(row, skip)) chosen.push({ row, boxes: boxes ?? [] });
        break;
      }
      case 'verification':
        if (inPairs.has(row.id) && usable(row, skip)) chosen.push({ row });
        break;
    }
  }
  // A pair trains or tests only within one split (no test image may be seen in training).
  const splitOf = new Map(chosen.map((c) => [c.row.id, c.row.split!]));
  const pairs: LabelledPairInput[] = [];
  const used: { split: SplitName; same: boolean; a: number; b: number }[] = [];
  const skippedPairs = new Map<string, number>();
  const skipPair = (reason: string): void => void skippedPairs.set(reason, (skippedPairs.get(reason) ?? 0) + 1);
  for (const pair of labels.pairs ?? []) {
    const [a, b] = [splitOf.get(pair.a), splitOf.get(pair.b)];
    if (a === undefined || b === undefined) {
      skipPair(PAIR_IMAGE_LEFT_OUT); // The image itself is counted above.
    } else if (a !== b) {
      skip('pairs whose two images are in different splits');
      skipPair(PAIR_IN_TWO_SPLITS);
    } else {
      pairs.push({ a: sampleId(pair.a), b: sampleId(pair.b), same: pair.same });
      used.push({ split: a, same: pair.same, a: pair.a, b: pair.b });
    }
  }
  if (task.kind === 'verification') {
    const paired = new Set(pairs.flatMap((p) => [p.a, p.b]));
    chosen.splice(0, chosen.length, ...chosen.filter((c) => paired.has(sampleId(c.row.id))));
  }
  if (chosen.length === 0) {
    const why = skipped.size ? ` (left out: ${[...skipped].map(([r, n]) => `${n} ${r}`).join(', ')})` : '';
    const what =
      task.kind === 'verification'
        ? 'pair of images within one train, val or test split'
        : 'labelled image with a train, val or test split';
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${task.name}” has no ${what}${why}. Label images and assign splits first.`,
    );
  }
  let verification: VerificationDatasetReport | undefined;
  if (task.kind === 'verification') verification = pairReport(used, skippedPairs);
  else if (trainsIdentities(task, kind))
    verification = identityReport(chosen.map((c) => ({ split: c.row.split!, identity: c.identity! })));
  return { chosen, pairs, skipped, ...(verification ? { verification } : {}) };
}

function classesOf(task: LabelTask, kind: TaskKind): string[] {
  if (kind === 'verification') return [];
  return task.kind === 'segmentation'
    ? [BACKGROUND_CLASS, ...task.classes.map((c) => c.name)]
    : task.classes.map((c) => c.name);
}

/**
 * What a run on the task would train on, without reading any mask file (for the defaults).
 * `kind`: what the run trains, default the task's kind (see trainedKind).
 */
export function describeTaskDataset(
  ws: Workspace,
  taskId: number,
  kind?: TaskKind,
): { task: LabelTask; kind: TaskKind; report: DatasetReport } {
  const task = requireTask(ws.db, taskId);
  const trains = trainedKind(task, kind);
  const choice = chooseImages(ws, task, trains);
  return { task, kind: trains, report: reportOf(classesOf(task, trains), choice) };
}

/** Why a run cannot train on this dataset (no image in the train split, a verifier without pairs to learn from), or null. */
export function trainRefusal(built: TaskDataset): string | null {
  if (built.report.counts.train === 0)
    return `“${built.task.name}” has no image in the train split; assign splits first.`;
  return (built.report.verification && trainSplitRefusal(built.report.verification)) || null;
}

export async function buildTaskDataset(
  ws: Workspace,
  taskId: number,
  options: { signal?: AbortSignal; kind?: TaskKind | undefined } = {},
): Promise<TaskDataset> {
  const task = requireTask(ws.db, taskId);
  const kind = trainedKind(task, options.kind);
  const choice = chooseImages(ws, task, kind);
  const { chosen, pairs } = choice;
  const maskLut = maskValueToClass(task);
  const samples: DatasetSample[] = [];
  /** Segmentation samples are made per frame here (each with its own mask), not by expandFrames. */
  const framedMasks = new Map<string, string>();
  for (const { row, label, masks, boxes, identity } of chosen) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const base = { id: sampleId(row.id), split: row.split!, image: { path: row.path, frameIndex: 0 } };
    if (masks) {
      for (const [frame, mask] of masks) {
        const decoded = await readMaskFile(ws.root, mask.file, mask.sha256);
        const data = new Uint8Array(decoded.data.length);
        for (let i = 0; i < data.length; i++) data[i] = maskLut[decoded.data[i]!]!;
        const id = frameSampleId(base.id, frame, masks.size);
        framedMasks.set(id, base.id);
        const image = { path: row.path, frameIndex: frame };
        samples.push({ ...base, id, image, mask: { data, rows: row.rows, columns: row.columns } });
      }
    } else if (boxes) {
      samples.push({ ...base, boxes });
    } else if (identity !== undefined) {
      samples.push({ ...base, identity });
    } else if (label !== undefined) {
      samples.push({ ...base, label });
    } else {
      samples.push(base);
    }
  }
  const classes = classesOf(task, kind);
  const images = new Map(chosen.map(({ row }) => [sampleId(row.id), { imageId: row.id, path: row.path }]));
  const framed =
    task.kind === 'segmentation'
      ? { samples, imageSampleOf: framedMasks }
      : expandFrames(
          samples,
          new Map(chosen.map(({ row }) => [sampleId(row.id), row.frames])),
          effectiveFrames(task.frames, kind),
        );
  return {
    task,
    kind,
    dataset: { task: kind, classes, samples: framed.samples, ...(task.kind === 'verification' ? { pairs } : {}) },
    report: reportOf(classes, choice),
    images: new Map([...framed.imageSampleOf].map(([id, image]) => [id, images.get(image)!])),
  };
}

/** Images a run cannot use even when labelled: no split, or the file is gone. */
function usable(row: ImageRow, skip: (reason: string) => void): boolean {
  if (row.missing) {
    skip('images whose file is missing (relink it)');
    return false;
  }
  if (!row.split) {
    skip('images without a train/val/test split');
    return false;
  }
  return true;
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
