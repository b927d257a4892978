/**
 * Label tasks and their classes: create, rename, recolour, reorder, and delete with a dry run of
 * what would be lost and a confirmation that must match it.
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  MAX_MASK_CLASSES,
  type LabelClass,
  type LabelLoss,
  type LabelTask,
  type TaskFrames,
  type TaskKind,
} from '../../../contract/index';
import { nextClassColor } from './colors';
import { taskImagesOf, type TaskImagesKind } from './image-rule';
import { nowIso } from './revisions';

interface TaskRow {
  id: number;
  name: string;
  kind: TaskKind;
  multi_label: number;
  frames: TaskFrames;
  images: TaskImagesKind;
  images_rule_json: string | null;
  listed: number;
  created_at: string;
}
interface ClassRow {
  id: number;
  task_id: number;
  name: string;
  color: string;
  position: number;
  mask_index: number | null;
}

function classFromRow(row: ClassRow): LabelClass {
  return {
    id: row.id,
    taskId: row.task_id,
    name: row.name,
    color: row.color,
    position: row.position,
    maskIndex: row.mask_index,
  };
}

export function listTasks(db: Database.Database): LabelTask[] {
  const tasks = db
    .prepare(
      'SELECT t.*, (SELECT COUNT(*) FROM task_image_list l WHERE l.task_id = t.id) AS listed FROM label_tasks t ORDER BY t.id',
    )
    .all() as TaskRow[];
  const classes = db.prepare('SELECT * FROM label_classes ORDER BY task_id, position, id').all() as ClassRow[];
  return tasks.map((t) => ({
    id: t.id,
    name: t.name,
    kind: t.kind,
    multiLabel: t.multi_label === 1,
    frames: t.frames,
    images: taskImagesOf(t.images, t.images_rule_json, t.listed),
    createdAt: t.created_at,
    classes: classes.filter((c) => c.task_id === t.id).map(classFromRow),
  }));
}

export function requireTask(db: Database.Database, taskId: number): LabelTask {
  const task = listTasks(db).find((t) => t.id === taskId);
  if (!task) throw new LoupeError('NOT_FOUND', `There is no label task ${taskId} in this workspace.`);
  return task;
}

export function findTaskByName(db: Database.Database, name: string): LabelTask | null {
  const row = db.prepare('SELECT id FROM label_tasks WHERE name = ?').get(name.trim()) as { id: number } | undefined;
  return row ? requireTask(db, row.id) : null;
}

export function requireClass(db: Database.Database, classId: number): LabelClass {
  const row = db.prepare('SELECT * FROM label_classes WHERE id = ?').get(classId) as ClassRow | undefined;
  if (!row) throw new LoupeError('NOT_FOUND', `There is no class ${classId} in this workspace.`);
  return classFromRow(row);
}

function uniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}

export function createTask(
  db: Database.Database,
  request: {
    name: string;
    kind: TaskKind;
    multiLabel: boolean;
    classes: { name: string; color?: string | undefined }[];
  },
): LabelTask {
  if (request.multiLabel && request.kind !== 'classification') {
    throw new LoupeError('INVALID_REQUEST', 'Only classification tasks can be multi-label.');
  }
  if (request.kind === 'verification' && request.classes.length > 0) {
    throw new LoupeError('INVALID_REQUEST', 'A verification task has no classes: its labels are same/different pairs.');
  }
  const id = db.transaction(() => {
    let taskId: number;
    try {
      taskId = Number(
        db
          .prepare('INSERT INTO label_tasks (name, kind, multi_label, created_at) VALUES (?, ?, ?, ?)')
          .run(request.name, request.kind, request.multiLabel ? 1 : 0, nowIso()).lastInsertRowid,
      );
    } catch (error) {
      if (uniqueViolation(error))
        throw new LoupeError('INVALID_REQUEST', `There is already a task named "${request.name}".`);
      throw error;
    }
    for (const c of request.classes) insertClass(db, taskId, c.name, c.color);
    return taskId;
  })();
  return requireTask(db, id);
}

export function renameTask(db: Database.Database, taskId: number, name: string): LabelTask {
  requireTask(db, taskId);
  try {
    db.prepare('UPDATE label_tasks SET name = ? WHERE id = ?').run(name, taskId);
  } catch (error) {
    if (uniqueViolation(error)) throw new LoupeError('INVALID_REQUEST', `There is already a task named "${name}".`);
    throw error;
  }
  return requireTask(db, taskId);
}

export function setTaskFrames(db: Database.Database, taskId: number, frames: TaskFrames): LabelTask {
  requireTask(db, taskId);
  db.prepare('UPDATE label_tasks SET frames = ? WHERE id = ?').run(frames, taskId);
  return requireTask(db, taskId);
}

/** Adds a class inside the caller's transaction (or its own statement). */
export function insertClass(db: Database.Database, taskId: number, name: string, color?: string): LabelClass {
  const task = db.prepare('SELECT kind FROM label_tasks WHERE id = ?').get(taskId) as { kind: TaskKind } | undefined;
  if (!task) throw new LoupeError('NOT_FOUND', `There is no label task ${taskId} in this workspace.`);
  if (task.kind === 'verification')
    throw new LoupeError('INVALID_REQUEST', 'A verification task has no classes: its labels are same/different pairs.');
  const existing = db.prepare('SELECT * FROM label_classes WHERE task_id = ?').all(taskId) as ClassRow[];
  let maskIndex: number | null = null;
  if (task.kind === 'segmentation') {
    const used = new Set(existing.map((c) => c.mask_index));
    maskIndex = 1;
    while (used.has(maskIndex)) maskIndex++;
    if (maskIndex > MAX_MASK_CLASSES) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `A segmentation task holds at most ${MAX_MASK_CLASSES} classes (mask PNGs are 8-bit).`,
      );
    }
  }
  const position = existing.reduce((max, c) => Math.max(max, c.position + 1), 0);
  try {
    const id = db
      .prepare('INSERT INTO label_classes (task_id, name, color, position, mask_index) VALUES (?, ?, ?, ?, ?)')
      .run(taskId, name, color ?? nextClassColor(existing.map((c) => c.color)), position, maskIndex).lastInsertRowid;
    return requireClass(db, Number(id));
  } catch (error) {
    if (uniqueViolation(error))
      throw new LoupeError('INVALID_REQUEST', `This task already has a class named "${name}".`);
    throw error;
  }
}

export function updateClass(
  db: Database.Database,
  classId: number,
  changes: { name?: string | undefined; color?: string | undefined },
): LabelClass {
  const current = requireClass(db, classId);
  try {
    db.prepare('UPDATE label_classes SET name = ?, color = ? WHERE id = ?').run(
      changes.name ?? current.name,
      changes.color ?? current.color,
      classId,
    );
  } catch (error) {
    if (uniqueViolation(error))
      throw new LoupeError('INVALID_REQUEST', `This task already has a class named "${changes.name}".`);
    throw error;
  }
  return requireClass(db, classId);
}

export function reorderClasses(db: Database.Database, taskId: number, classIds: readonly number[]): LabelTask {
  const task = requireTask(db, taskId);
  const have = task.classes.map((c) => c.id).sort((a, b) => a - b);
  const given = [...classIds].sort((a, b) => a - b);
  if (have.length !== given.length || have.some((id, i) => id !== given[i])) {
    throw new LoupeError('INVALID_REQUEST', 'List every class of the task exactly once to reorder them.');
  }
  db.transaction(() => {
    const set = db.prepare('UPDATE label_classes SET position = ? WHERE id = ?');
    classIds.forEach((id, position) => set.run(position, id));
  })();
  return requireTask(db, taskId);
}

const count = (db: Database.Database, sql: string, ...params: unknown[]): number =>
  Number(
    db
      .prepare(sql)
      .pluck()
      .get(...params) ?? 0,
  );

export function classLoss(db: Database.Database, classId: number): LabelLoss {
  requireClass(db, classId);
  return {
    images: count(
      db,
      `SELECT COUNT(*) FROM (SELECT image_id FROM class_tags WHERE class_id = @id UNION SELECT image_id FROM boxes WHERE class_id = @id
       UNION SELECT image_id FROM mask_pixels WHERE class_id = @id)`,
      { id: classId },
    ),
    classTags: count(db, 'SELECT COUNT(*) FROM class_tags WHERE class_id = ?', classId),
    boxes: count(db, 'SELECT COUNT(*) FROM boxes WHERE class_id = ?', classId),
    masks: count(db, 'SELECT COUNT(*) FROM mask_pixels WHERE class_id = ?', classId),
    maskPixels: count(db, 'SELECT COALESCE(SUM(pixels), 0) FROM mask_pixels WHERE class_id = ?', classId),
    pairs: 0,
  };
}

export function taskLoss(db: Database.Database, taskId: number): LabelLoss {
  requireTask(db, taskId);
  return {
    images: count(
      db,
      `SELECT COUNT(*) FROM (SELECT image_id FROM class_tags WHERE task_id = @id UNION SELECT image_id FROM boxes WHERE task_id = @id
       UNION SELECT image_id FROM masks WHERE task_id = @id UNION SELECT image_a FROM pairs WHERE task_id = @id
       UNION SELECT image_b FROM pairs WHERE task_id = @id)`,
      { id: taskId },
    ),
    classTags: count(db, 'SELECT COUNT(*) FROM class_tags WHERE task_id = ?', taskId),
    boxes: count(db, 'SELECT COUNT(*) FROM boxes WHERE task_id = ?', taskId),
    masks: count(db, 'SELECT COUNT(*) FROM masks WHERE task_id = ?', taskId),
    maskPixels: count(db, 'SELECT COALESCE(SUM(pixels), 0) FROM mask_pixels WHERE task_id = ?', taskId),
    pairs: count(db, 'SELECT COUNT(*) FROM pairs WHERE task_id = ?', taskId),
  };
}

/** Refuses a confirmation made on counts that have since changed. */
export function checkConfirmation(actual: LabelLoss, confirm: LabelLoss): void {
  const keys = Object.keys(actual) as (keyof LabelLoss)[];
  if (keys.some((k) => actual[k] !== confirm[k])) {
    throw new LoupeError(
      'CONFLICT',
      `The labels changed since the count was shown: deleting now would remove ${describeLoss(actual)}. Review and confirm again.`,
    );
  }
}

export function describeLoss(loss: LabelLoss): string {
  const parts = [
    [loss.classTags, 'class tag'],
    [loss.boxes, 'box'],
    [loss.masks, 'mask'],
    [loss.pairs, 'pair'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`);
  return parts.length ? `${parts.join(', ')} on ${loss.images} image${loss.images === 1 ? '' : 's'}` : 'no labels';
}
