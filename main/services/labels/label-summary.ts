/**
 * The per-image label summary the grid filters on: revision, classes, box count, labelled or not,
 * split; for the task's images only (task-images.ts), so the grid and label-next never offer others.
 */
import type Database from 'better-sqlite3';
import type { ImageLabelSummary } from '../../../contract/index';
import { taskImageFilter } from './task-images';
import { requireTask } from './tasks';

export function summarizeLabels(db: Database.Database, taskId: number): ImageLabelSummary[] {
  const task = requireTask(db, taskId);
  const inTask = taskImageFilter(db, taskId);
  const rows = (
    db
      .prepare(
        `SELECT i.id AS imageId, COALESCE(r.revision, 0) AS revision, s.split AS split,
              (SELECT COUNT(*) FROM boxes b WHERE b.task_id = @id AND b.image_id = i.id) AS boxes,
              EXISTS (SELECT 1 FROM masks m WHERE m.task_id = @id AND m.image_id = i.id) AS hasMask
       FROM images i
       LEFT JOIN label_revisions r ON r.task_id = @id AND r.image_id = i.id
       LEFT JOIN split_assignments s ON s.task_id = @id AND s.image_id = i.id
       ORDER BY i.id`,
      )
      .all({ id: taskId }) as {
      imageId: number;
      revision: number;
      split: ImageLabelSummary['split'];
      boxes: number;
      hasMask: number;
    }[]
  ).filter((row) => inTask(row.imageId));
  // Paired images in one pass (a per-image EXISTS over image_a OR image_b would scan every pair per image).
  const paired = new Set(
    task.kind === 'verification'
      ? (db
          .prepare('SELECT image_a FROM pairs WHERE task_id = @id UNION SELECT image_b FROM pairs WHERE task_id = @id')
          .pluck()
          .all({ id: taskId }) as number[])
      : [],
  );
  const classSql = {
    classification: 'SELECT image_id, class_id FROM class_tags WHERE task_id = ?',
    detection: 'SELECT DISTINCT image_id, class_id FROM boxes WHERE task_id = ?',
    segmentation: 'SELECT DISTINCT image_id, class_id FROM mask_pixels WHERE task_id = ?',
    verification: null,
  }[task.kind];
  const classes = new Map<number, number[]>();
  if (classSql) {
    for (const { image_id, class_id } of db.prepare(classSql).all(taskId) as { image_id: number; class_id: number }[]) {
      const list = classes.get(image_id);
      if (list) list.push(class_id);
      else classes.set(image_id, [class_id]);
    }
  }
  return rows.map((row) => {
    const classIds = (classes.get(row.imageId) ?? []).sort((a, b) => a - b);
    // Detection: an image saved with no boxes was looked at and has no objects — labeled, a negative.
    const labeled =
      task.kind === 'classification'
        ? classIds.length > 0
        : task.kind === 'detection'
          ? row.revision > 0
          : task.kind === 'segmentation'
            ? row.hasMask === 1
            : paired.has(row.imageId);
    return {
      imageId: row.imageId,
      revision: row.revision,
      classIds,
      boxes: row.boxes,
      labeled,
      split: row.split ?? null,
    };
  });
}
