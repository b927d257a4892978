/** Bulk class tags: set, add, remove or clear one class on many images of a classification task at once. */
import type Database from 'better-sqlite3';
import { LoupeError, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { missingImageIds } from './images';
import { bumpRevision, currentRevision } from './revisions';
import { requireTask } from './tasks';

export function assignClasses(
  db: Database.Database,
  request: ParsedRequestOf<'labels.assign'>,
): ReplyOf<'labels.assign'> {
  const task = requireTask(db, request.taskId);
  if (task.kind !== 'classification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `"${task.name}" is not a classification task; bulk class tags apply to classification only.`,
    );
  const { classId, mode } = request;
  if (classId !== undefined && !task.classes.some((c) => c.id === classId)) {
    throw new LoupeError('INVALID_REQUEST', `Class ${classId} is not a class of the task "${task.name}".`);
  }
  const imageIds = [...new Set(request.imageIds)];
  const missing = missingImageIds(db, imageIds);
  if (missing.length)
    throw new LoupeError(
      'NOT_FOUND',
      `${missing.length} of the selected images are no longer in the workspace (e.g. ${missing[0]}).`,
    );
  const tagsOf = db.prepare('SELECT class_id FROM class_tags WHERE task_id = ? AND image_id = ?').pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO class_tags (task_id, image_id, class_id) VALUES (?, ?, ?)');
  const removeOne = db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ? AND class_id = ?');
  const removeAll = db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ?');
  return db.transaction(() => {
    const revisions = imageIds.map((imageId) => {
      const tags = new Set(tagsOf.all(task.id, imageId) as number[]);
      let changed = false;
      if (mode === 'clear' || (mode === 'set' && !(tags.size === 1 && tags.has(classId!)))) {
        changed = tags.size > 0 || mode === 'set';
        removeAll.run(task.id, imageId);
        if (mode === 'set') insert.run(task.id, imageId, classId);
      } else if (mode === 'add' && !tags.has(classId!)) {
        // A single-label task has room for one class: adding replaces.
        if (!task.multiLabel) removeAll.run(task.id, imageId);
        insert.run(task.id, imageId, classId);
        changed = true;
      } else if (mode === 'remove' && tags.has(classId!)) {
        removeOne.run(task.id, imageId, classId);
        changed = true;
      }
      const revision = changed
        ? bumpRevision(db, task.id, imageId, request.origin ?? null)
        : currentRevision(db, task.id, imageId).revision;
      return { imageId, revision };
    });
    return { revisions };
  })();
}
