/**
 * What a review queue holds and in which order: the images a source names, and the measures of
 * how sure the model was (entropy, margin, score) that the reviewer sorts by.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type LabelTask,
  type ReviewOrder,
  type ReviewQueueItem,
  type ReviewSource,
} from '../../../contract/index';
import { taskImageFilter } from '../labels/task-images';

/** Uncertainty of one prediction. Entropy in nats over the probabilities normalised to sum 1 (sigmoid outputs need not). */
export function uncertainty(probabilities: readonly number[]): { entropy: number; margin: number; score: number } {
  const total = probabilities.reduce((a, b) => a + b, 0);
  let entropy = 0;
  for (const p of probabilities) {
    const q = total > 0 ? p / total : 0;
    if (q > 0) entropy -= q * Math.log(q);
  }
  const sorted = [...probabilities].sort((a, b) => b - a);
  const score = sorted[0] ?? 0;
  return { entropy: Math.max(0, entropy), margin: Math.max(0, score - (sorted[1] ?? 0)), score };
}

/** Most uncertain first for entropy and margin, most confident first for score, disagreements first (then most uncertain). */
export function orderQueue(items: ReviewQueueItem[], order: ReviewOrder): ReviewQueueItem[] {
  const byId = (a: ReviewQueueItem, b: ReviewQueueItem) => a.imageId - b.imageId;
  const compare: Record<ReviewOrder, (a: ReviewQueueItem, b: ReviewQueueItem) => number> = {
    entropy: (a, b) => b.entropy - a.entropy || byId(a, b),
    margin: (a, b) => a.margin - b.margin || byId(a, b),
    score: (a, b) => b.score - a.score || byId(a, b),
    disagreement: (a, b) => Number(b.disagrees) - Number(a.disagrees) || b.entropy - a.entropy || byId(a, b),
  };
  return [...items].sort(compare[order]);
}

/**
 * Image ids the source names (present images only: a missing file cannot be shown), in id order.
 * A split, the unlabelled images or a class are the task's, so only its chosen images; a folder or
 * a list of images is named by the reviewer and taken as given.
 */
export function sourceImageIds(db: Database.Database, task: LabelTask, source: ReviewSource): number[] {
  if (source.kind === 'folder' || source.kind === 'images') return namedImageIds(db, task, source);
  return namedImageIds(db, task, source).filter(taskImageFilter(db, task.id));
}

function namedImageIds(db: Database.Database, task: LabelTask, source: ReviewSource): number[] {
  const present = 'SELECT id FROM images WHERE missing = 0';
  switch (source.kind) {
    case 'split':
      return db
        .prepare(
          `SELECT image_id FROM split_assignments WHERE task_id = ? AND split = ? AND image_id IN (${present}) ORDER BY image_id`,
        )
        .pluck()
        .all(task.id, source.split) as number[];
    case 'unlabeled':
      return db
        .prepare(`${present} AND id NOT IN (SELECT image_id FROM class_tags WHERE task_id = ?) ORDER BY id`)
        .pluck()
        .all(task.id) as number[];
    case 'class':
      if (!task.classes.some((c) => c.id === source.classId))
        throw new LoupeError('INVALID_REQUEST', `Class ${source.classId} is not a class of the task “${task.name}”.`);
      return db
        .prepare(
          `SELECT image_id FROM class_tags WHERE task_id = ? AND class_id = ? AND image_id IN (${present}) ORDER BY image_id`,
        )
        .pluck()
        .all(task.id, source.classId) as number[];
    case 'folder': {
      // A prefix ending in the separator, so /scans/a does not take /scans/ab.
      const prefix = source.folder.endsWith(path.sep) ? source.folder : source.folder + path.sep;
      return db
        .prepare(`${present} AND substr(path, 1, ?) = ? ORDER BY id`)
        .pluck()
        .all(prefix.length, prefix) as number[];
    }
    case 'images': {
      const known = new Set(db.prepare(present).pluck().all() as number[]);
      const unknown = source.imageIds.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw new LoupeError(
          'NOT_FOUND',
          `Image${unknown.length === 1 ? '' : 's'} ${unknown.slice(0, 5).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this workspace or missing on disk.`,
        );
      return [...new Set(source.imageIds)].sort((a, b) => a - b);
    }
  }
}

/** The task's class ids on each image (class tags). */
export function classTags(db: Database.Database, taskId: number, imageIds: readonly number[]): Map<number, number[]> {
  const wanted = new Set(imageIds);
  const tags = new Map<number, number[]>();
  for (const row of db
    .prepare('SELECT image_id, class_id FROM class_tags WHERE task_id = ? ORDER BY class_id')
    .all(taskId) as { image_id: number; class_id: number }[]) {
    if (wanted.has(row.image_id))
      (tags.get(row.image_id) ?? tags.set(row.image_id, []).get(row.image_id)!).push(row.class_id);
  }
  return tags;
}
