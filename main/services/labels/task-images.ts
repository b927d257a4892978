/**
 * The images a task uses (contract/task-images.ts): every place that enumerates a task's images
 * (the Label grid, splits, training and evaluation datasets, label-next, label exports, review
 * queues) asks `taskImageFilter` here, so a choice means the same everywhere.
 *
 * Changing the choice never deletes labels: an image that drops out keeps its labels in the
 * database, and they count again if the image comes back into the task.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import {
  imageModality,
  LoupeError,
  type LabelTask,
  type ReplyOf,
  type TaskImageSelection,
} from '../../../contract/index';
import { missingImageIds } from './images';
import { parseRule, ruleJson, ruleSql, type TaskImagesKind } from './image-rule';
import { requireTask } from './tasks';

/** Whether an image is one of the task's images. */
export type ImageFilter = (imageId: number) => boolean;

const EVERY_IMAGE: ImageFilter = () => true;

/** Images carrying one of the classes in their own task: a tag, a box, or mask pixels. */
function imagesCarrying(db: Database.Database, classIds: readonly number[]): Set<number> {
  if (classIds.length === 0) return new Set();
  const ids = `(SELECT value FROM json_each(@classes))`;
  return new Set(
    db
      .prepare(
        `SELECT image_id FROM class_tags WHERE class_id IN ${ids} UNION SELECT image_id FROM boxes WHERE class_id IN ${ids}
         UNION SELECT image_id FROM mask_pixels WHERE class_id IN ${ids}`,
      )
      .pluck()
      .all({ classes: JSON.stringify(classIds) }) as number[],
  );
}

/** The ids a choice gives, or null for every image. */
function matchingIds(db: Database.Database, selection: TaskImageSelection): Set<number> | null {
  if (selection.kind === 'all') return null;
  if (selection.kind === 'list') return new Set(selection.imageIds);
  const { where, params } = ruleSql(selection);
  const ids = db.prepare(`SELECT id FROM images WHERE ${where}`).pluck().all(params) as number[];
  if (selection.classIds.length === 0) return new Set(ids);
  const tagged = imagesCarrying(db, selection.classIds);
  return new Set(ids.filter((id) => tagged.has(id)));
}

/** The task's image ids, or null when it uses every image of the workspace. */
export function taskImageIds(db: Database.Database, taskId: number): ReadonlySet<number> | null {
  const row = db.prepare('SELECT images, images_rule_json FROM label_tasks WHERE id = ?').get(taskId) as
    | { images: TaskImagesKind; images_rule_json: string | null }
    | undefined;
  if (!row) throw new LoupeError('NOT_FOUND', `There is no label task ${taskId} in this workspace.`);
  if (row.images === 'all') return null;
  if (row.images === 'rule') return matchingIds(db, parseRule(row.images_rule_json));
  return new Set(db.prepare('SELECT image_id FROM task_image_list WHERE task_id = ?').pluck().all(taskId) as number[]);
}

export function taskImageFilter(db: Database.Database, taskId: number): ImageFilter {
  const ids = taskImageIds(db, taskId);
  return ids ? (imageId) => ids.has(imageId) : EVERY_IMAGE;
}

/** Refuses a choice naming classes or images that do not exist, or the task's own classes. */
function checkSelection(db: Database.Database, task: LabelTask, selection: TaskImageSelection): void {
  if (selection.kind === 'list') {
    const missing = missingImageIds(db, selection.imageIds);
    if (missing.length > 0)
      throw new LoupeError(
        'INVALID_REQUEST',
        `${missing.length} of the chosen images are not in this workspace (first: image ${missing[0]}); refresh and choose again.`,
      );
  }
  if (selection.kind !== 'rule') return;
  const owner = db.prepare('SELECT task_id FROM label_classes WHERE id = ?').pluck();
  for (const classId of selection.classIds) {
    const taskId = owner.get(classId) as number | undefined;
    if (taskId === undefined) throw new LoupeError('NOT_FOUND', `There is no class ${classId} in this workspace.`);
    if (taskId === task.id)
      throw new LoupeError(
        'INVALID_REQUEST',
        `“${task.name}” cannot choose its images by its own classes: which images it labels would then depend on its labels. Choose classes of another task.`,
      );
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

export function setTaskImages(db: Database.Database, taskId: number, selection: TaskImageSelection): LabelTask {
  const task = requireTask(db, taskId);
  checkSelection(db, task, selection);
  db.transaction(() => {
    db.prepare('DELETE FROM task_image_list WHERE task_id = ?').run(taskId);
    const rule =
      selection.kind === 'rule'
        ? ruleJson({
            kind: 'rule',
            folders: unique(selection.folders),
            modalities: unique(selection.modalities),
            classIds: unique(selection.classIds),
          })
        : null;
    db.prepare('UPDATE label_tasks SET images = ?, images_rule_json = ? WHERE id = ?').run(
      selection.kind,
      rule,
      taskId,
    );
    if (selection.kind === 'list') {
      const insert = db.prepare('INSERT OR IGNORE INTO task_image_list (task_id, image_id) VALUES (?, ?)');
      for (const imageId of selection.imageIds) insert.run(taskId, imageId);
    }
  })();
  return requireTask(db, taskId);
}

/** Images carrying a label in the task (tags, boxes, a mask, pairs). */
function labeledImageIds(db: Database.Database, taskId: number): number[] {
  return db
    .prepare(
      `SELECT image_id FROM class_tags WHERE task_id = @id UNION SELECT image_id FROM boxes WHERE task_id = @id
       UNION SELECT image_id FROM masks WHERE task_id = @id UNION SELECT image_a FROM pairs WHERE task_id = @id
       UNION SELECT image_b FROM pairs WHERE task_id = @id`,
    )
    .pluck()
    .all({ id: taskId }) as number[];
}

export function countTaskImages(
  db: Database.Database,
  taskId: number,
  selection: TaskImageSelection,
): ReplyOf<'labels.countTaskImages'> {
  const task = requireTask(db, taskId);
  checkSelection(db, task, selection);
  const total = Number(db.prepare('SELECT COUNT(*) FROM images').pluck().get());
  const ids = matchingIds(db, selection);
  if (!ids) return { matching: total, total, labeledLeftOut: 0 };
  return {
    matching: ids.size,
    total,
    labeledLeftOut: labeledImageIds(db, taskId).filter((id) => !ids.has(id)).length,
  };
}

export function imageFacets(db: Database.Database): ReplyOf<'labels.imageFacets'> {
  const folders = new Map<string, number>();
  const modalities = new Map<string, number>();
  for (const image of db.prepare('SELECT path, format, modality FROM images').all() as {
    path: string;
    format: string;
    modality: string | null;
  }[]) {
    const folder = path.dirname(image.path);
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
    const modality = imageModality(image.format, image.modality);
    modalities.set(modality, (modalities.get(modality) ?? 0) + 1);
  }
  const facets = (counts: Map<string, number>) =>
    [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([value, images]) => ({ value, images }));
  const classes = db
    .prepare(
      `SELECT c.id AS classId, c.task_id AS taskId, COUNT(DISTINCT carried.image_id) AS images
       FROM label_classes c LEFT JOIN (
         SELECT class_id, image_id FROM class_tags UNION SELECT class_id, image_id FROM boxes
         UNION SELECT class_id, image_id FROM mask_pixels) carried ON carried.class_id = c.id
       GROUP BY c.id ORDER BY c.task_id, c.position, c.id`,
    )
    .all() as { classId: number; taskId: number; images: number }[];
  return { folders: facets(folders), modalities: facets(modalities), classes };
}
