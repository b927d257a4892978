/**
 * An import in two steps. A reader turns a file or folder into an ImportPlan — every label
 * validated against the workspace's images, every problem recorded as a skip with its reason —
 * without touching the workspace. `applyPlan` then writes the plan's mask files, and commits
 * everything else (task, classes, labels, revisions) in ONE transaction; if anything fails, the
 * new mask files are removed and the workspace is as it was. Nothing is ever half-imported.
 *
 * Images the file mentions get their labels in the task REPLACED by the file's (an image listed
 * with no annotations becomes a labeled negative); images it does not mention are left alone.
 *
 * A malformed label refuses the import before anything is written (see import-plan.ts), and so
 * does an import that would change nothing (it found nothing, or only skips): a refused import leaves no trace.
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  MAX_MASK_CLASSES,
  MAX_REPORTED_SKIPS,
  type LabelsImportReport,
  type LabelTask,
  type ParsedRequestOf,
  type TaskKind,
} from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import { nextClassColor } from '../colors';
import { replaceMaskRow, writeBoxes } from '../image-labels';
import { maskHistogram, removeMaskFiles, writeMaskFile, type WrittenMask } from '../mask-files';
import { bumpRevision, nowIso } from '../revisions';
import { findTaskByName, listTasks, requireTask } from '../tasks';
import { imagesOf, placeInSplit, quoteProblems, settleMalformed, type ImportPlan } from './import-plan';
import { unpackMask } from './packed-mask';

export type ImportRequest = ParsedRequestOf<'labels.import'>;

interface Resolved {
  task: LabelTask | null;
  taskId: number;
  taskName: string;
  newClasses: { name: string; color: string; maskIndex: number | null }[];
  /** Plan class index → class name as stored (existing spelling wins). */
  names: string[];
  /** Plan class index → mask index (segmentation). */
  lut: Uint8Array;
  multiLabel: boolean;
}

/** The task an import targets (existing, by id or name) and the kind the reader should produce. */
export function importTarget(
  db: Database.Database,
  request: ImportRequest,
): { task: LabelTask | null; kind: TaskKind | undefined } {
  const task = request.taskId !== undefined ? requireTask(db, request.taskId) : findTaskByName(db, request.taskName!);
  if (task && request.kind && request.kind !== task.kind) {
    throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a ${task.kind} task, not ${request.kind}.`);
  }
  return { task, kind: task?.kind ?? request.kind };
}

function resolve(db: Database.Database, request: ImportRequest, plan: ImportPlan): Resolved {
  const { task } = importTarget(db, request);
  if (task && task.kind !== plan.kind) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The file holds ${plan.kind} labels, but "${task.name}" is a ${task.kind} task.`,
    );
  }
  const existing = new Map((task?.classes ?? []).map((c) => [c.name.toLowerCase(), c]));
  const used = new Set((task?.classes ?? []).map((c) => c.maskIndex));
  const colors = (task?.classes ?? []).map((c) => c.color);
  const newClasses: Resolved['newClasses'] = [];
  const lut = new Uint8Array(256);
  const names = plan.classNames.map((name, k) => {
    const have = existing.get(name.toLowerCase());
    if (have) {
      lut[k + 1] = have.maskIndex ?? 0;
      return have.name;
    }
    let maskIndex: number | null = null;
    if (plan.kind === 'segmentation') {
      maskIndex = 1;
      while (used.has(maskIndex)) maskIndex++;
      if (maskIndex > MAX_MASK_CLASSES)
        throw new LoupeError(
          'INVALID_REQUEST',
          `The import would need more than ${MAX_MASK_CLASSES} classes in one segmentation task.`,
        );
      used.add(maskIndex);
      lut[k + 1] = maskIndex;
    }
    const color = nextClassColor(colors);
    colors.push(color);
    newClasses.push({ name, color, maskIndex });
    return name;
  });
  const multiLabel = task?.multiLabel ?? [...plan.classTags.values()].some((tags) => new Set(tags).size > 1);
  if (plan.kind === 'classification' && !multiLabel) {
    for (const [imageId, tags] of plan.classTags) {
      if (new Set(tags).size > 1) {
        plan.classTags.delete(imageId);
        plan.skipped.push({
          where: `image ${imageId}`,
          reason: `has ${new Set(tags).size} classes but "${task!.name}" allows one class per image`,
        });
      }
    }
  }
  const taskId = task?.id ?? Number(db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM label_tasks').pluck().get());
  return { task, taskId, taskName: task?.name ?? request.taskName!, newClasses, names, lut, multiLabel };
}

/** A mask file the import wrote, before its row is committed. */
interface WrittenPlanMask extends WrittenMask {
  imageId: number;
  frame: number;
  width: number;
  height: number;
  counts: Uint32Array;
}

export async function applyPlan(
  ws: Workspace,
  request: ImportRequest,
  plan: ImportPlan,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
  imagesAdded = 0,
): Promise<LabelsImportReport> {
  const db = ws.db;
  settleMalformed(plan, request.skipMalformed);
  if (request.split !== undefined) placeInSplit(plan, request.split, request.path);
  const resolved = resolve(db, request, plan);
  const report: LabelsImportReport = {
    taskId: resolved.task?.id ?? null,
    taskName: resolved.taskName,
    createdTask: resolved.task === null,
    dryRun: request.dryRun,
    images: imagesOf(plan).size,
    imported: {
      classTags: [...plan.classTags.values()].reduce((n, t) => n + new Set(t).size, 0),
      boxes: [...plan.boxes.values()].reduce((n, b) => n + b.length, 0),
      masks: [...plan.masks.values()].reduce((n, frames) => n + frames.size, 0),
      pairs: plan.pairs.length,
    },
    classesCreated: resolved.newClasses.map((c) => c.name),
    skipped: plan.skipped.slice(0, MAX_REPORTED_SKIPS),
    skippedTotal: plan.skipped.length,
    imagesAdded,
    splitsAssigned: plan.splits.size,
  };
  if (request.dryRun) return report;
  // A folder or file that holds nothing to read (a wrong path, an empty export) would otherwise
  // leave a new, empty task and no hint that nothing was found.
  if (report.images === 0 && report.skippedTotal === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${request.path} holds no labels of the ${request.format} format (no files where that layout puts them), so nothing was changed.`,
    );
  if (report.images === 0 && report.skippedTotal > 0) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `Nothing could be imported, so nothing was changed: ${quoteProblems(plan.skipped)}.`,
    );
  }

  const written: WrittenPlanMask[] = [];
  const total = report.imported.masks + 1;
  let replaced: string[];
  try {
    let done = 0;
    for (const [imageId, frames] of plan.masks) {
      for (const [frame, packed] of frames) {
        if (signal.aborted) throw new LoupeError('CANCELLED', 'Import cancelled; nothing was changed.');
        const data = unpackMask(packed, resolved.lut);
        const file = await writeMaskFile(
          ws.root,
          resolved.taskId,
          imageId,
          { width: packed.width, height: packed.height, data },
          frame,
        );
        const size = { width: packed.width, height: packed.height };
        written.push({ ...file, ...size, imageId, frame, counts: maskHistogram(data) });
        progress(++done, total);
      }
    }
    if (signal.aborted) throw new LoupeError('CANCELLED', 'Import cancelled; nothing was changed.');
    replaced = db.transaction(() => commit(db, plan, resolved, written))();
    report.taskId = resolved.taskId;
    progress(total, total);
  } catch (error) {
    await removeMaskFiles(
      ws.root,
      written.map((w) => w.file),
    );
    throw error;
  }
  await removeMaskFiles(ws.root, replaced);
  return report;
}

function commit(
  db: Database.Database,
  plan: ImportPlan,
  resolved: Resolved,
  written: readonly WrittenPlanMask[],
): string[] {
  const taskId = resolved.taskId;
  if (resolved.task) {
    // The classes were matched before the masks were written; refuse if they changed since.
    const now = listTasks(db).find((t) => t.id === taskId);
    if (!now || JSON.stringify(now.classes) !== JSON.stringify(resolved.task.classes)) {
      throw new LoupeError(
        'CONFLICT',
        `The classes of "${resolved.taskName}" changed during the import; nothing was imported. Run it again.`,
      );
    }
  } else {
    if (findTaskByName(db, resolved.taskName) || db.prepare('SELECT 1 FROM label_tasks WHERE id = ?').get(taskId)) {
      throw new LoupeError(
        'CONFLICT',
        `A task was created elsewhere during the import; nothing was imported. Run it again.`,
      );
    }
    // Masks on frames past the first (a 3D label map): a new task trains on every frame, not just slice 0.
    const frames = [...plan.masks.values()].some((m) => [...m.keys()].some((f) => f > 0)) ? 'all' : 'first';
    db.prepare(
      'INSERT INTO label_tasks (id, name, kind, multi_label, created_at, frames) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(taskId, resolved.taskName, plan.kind, resolved.multiLabel ? 1 : 0, nowIso(), frames);
  }
  const position = Number(
    db.prepare('SELECT COALESCE(MAX(position) + 1, 0) FROM label_classes WHERE task_id = ?').pluck().get(taskId),
  );
  resolved.newClasses.forEach((c, k) =>
    db
      .prepare('INSERT INTO label_classes (task_id, name, color, position, mask_index) VALUES (?, ?, ?, ?, ?)')
      .run(taskId, c.name, c.color, position + k, c.maskIndex),
  );
  const classId = new Map(
    (
      db.prepare('SELECT id, name, mask_index FROM label_classes WHERE task_id = ?').all(taskId) as {
        id: number;
        name: string;
        mask_index: number | null;
      }[]
    ).map((c) => [c.name.toLowerCase(), c]),
  );
  const idOf = (planIndex: number): number => classId.get(resolved.names[planIndex - 1]!.toLowerCase())!.id;
  const byMaskIndex = new Map([...classId.values()].map((c) => [c.mask_index, c.id]));

  const insertTag = db.prepare('INSERT OR IGNORE INTO class_tags (task_id, image_id, class_id) VALUES (?, ?, ?)');
  for (const [imageId, tags] of plan.classTags) {
    db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ?').run(taskId, imageId);
    for (const t of tags) insertTag.run(taskId, imageId, idOf(t));
    bumpRevision(db, taskId, imageId);
  }
  for (const [imageId, boxes] of plan.boxes) {
    writeBoxes(
      db,
      taskId,
      imageId,
      boxes.map((b) => ({ classId: idOf(b.cls), x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 })),
    );
    bumpRevision(db, taskId, imageId);
  }
  const replaced: string[] = [];
  for (const file of written) {
    const pixels = new Map<number, number>();
    for (let v = 1; v < 256; v++) if (file.counts[v]) pixels.set(byMaskIndex.get(v)!, file.counts[v]!);
    const old = replaceMaskRow(db, { taskId, imageId: file.imageId, frame: file.frame }, file, pixels);
    if (old) replaced.push(old);
  }
  for (const imageId of plan.masks.keys()) bumpRevision(db, taskId, imageId);
  const upsertPair = db.prepare(
    `INSERT INTO pairs (task_id, image_a, image_b, same, source, created_at) VALUES (?, ?, ?, ?, 'manual', ?)
     ON CONFLICT (task_id, image_a, image_b) DO UPDATE SET same = excluded.same`,
  );
  for (const p of plan.pairs) {
    const [a, b] = p.imageA < p.imageB ? [p.imageA, p.imageB] : [p.imageB, p.imageA];
    upsertPair.run(taskId, a, b, p.same ? 1 : 0, nowIso());
  }
  // The file's split is the dataset's own: each image stands alone (no patient group is known).
  const placeSplit = db.prepare(
    `INSERT INTO split_assignments (task_id, image_id, split, group_key) VALUES (?, ?, ?, ?)
     ON CONFLICT (task_id, image_id) DO UPDATE SET split = excluded.split, group_key = excluded.group_key`,
  );
  for (const [imageId, split] of plan.splits) placeSplit.run(taskId, imageId, split, `image:${imageId}`);
  return replaced;
}
