/**
 * Deleting a class or a task: recount what would be lost inside the transaction and refuse when it
 * no longer matches what the user confirmed. Deleting a segmentation class turns its pixels into
 * background: each affected mask is rewritten to a new file first, then every row is switched in
 * one transaction, so a crash leaves either the old masks and the class, or neither.
 */
import { LoupeError, type LabelLoss } from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';
import { replaceMaskRow } from './image-labels';
import { readMaskFile, removeMaskFiles, writeMaskFile, type WrittenMask } from './mask-files';
import { bumpRevision } from './revisions';
import { checkConfirmation, classLoss, requireClass, requireTask, taskLoss } from './tasks';

interface AffectedMask {
  imageId: number;
  frame: number;
  file: string;
  sha256: string;
}

export async function deleteClass(ws: Workspace, classId: number, confirm: LabelLoss): Promise<{ deleted: LabelLoss }> {
  const db = ws.db;
  const cls = requireClass(db, classId);
  const task = requireTask(db, cls.taskId);
  checkConfirmation(classLoss(db, classId), confirm);

  const rewritten: {
    imageId: number;
    frame: number;
    oldFile: string;
    written: WrittenMask;
    pixels: Map<number, number>;
    width: number;
    height: number;
  }[] = [];
  try {
    if (task.kind === 'segmentation' && cls.maskIndex !== null) {
      const affected = db
        .prepare(
          `SELECT m.image_id AS imageId, m.frame, m.file, m.sha256 FROM masks m
           JOIN mask_pixels p ON p.task_id = m.task_id AND p.image_id = m.image_id AND p.frame = m.frame
           WHERE p.class_id = ?`,
        )
        .all(classId) as AffectedMask[];
      const byIndex = new Map(task.classes.map((c) => [c.maskIndex, c.id]));
      for (const row of affected) {
        const mask = await readMaskFile(ws.root, row.file, row.sha256);
        const counts = new Map<number, number>();
        for (let i = 0; i < mask.data.length; i++) {
          const v = mask.data[i]!;
          if (v === cls.maskIndex) mask.data[i] = 0;
          else if (v !== 0) counts.set(byIndex.get(v)!, (counts.get(byIndex.get(v)!) ?? 0) + 1);
        }
        const written = await writeMaskFile(ws.root, task.id, row.imageId, mask, row.frame);
        rewritten.push({
          imageId: row.imageId,
          frame: row.frame,
          oldFile: row.file,
          written,
          pixels: counts,
          width: mask.width,
          height: mask.height,
        });
      }
    }
    db.transaction(() => {
      checkConfirmation(classLoss(db, classId), confirm);
      for (const r of rewritten) {
        const still = db
          .prepare('SELECT file FROM masks WHERE task_id = ? AND image_id = ? AND frame = ?')
          .pluck()
          .get(task.id, r.imageId, r.frame);
        if (still !== r.oldFile)
          throw new LoupeError('CONFLICT', 'A mask changed while the class was being deleted. Try again.');
        const key = { taskId: task.id, imageId: r.imageId, frame: r.frame };
        replaceMaskRow(db, key, { ...r.written, width: r.width, height: r.height }, r.pixels);
      }
      const images = db
        .prepare(
          'SELECT image_id FROM class_tags WHERE class_id = @id UNION SELECT image_id FROM boxes WHERE class_id = @id UNION SELECT image_id FROM mask_pixels WHERE class_id = @id',
        )
        .pluck()
        .all({ id: classId }) as number[];
      for (const imageId of new Set([...images, ...rewritten.map((r) => r.imageId)]))
        bumpRevision(db, task.id, imageId);
      db.prepare('DELETE FROM label_classes WHERE id = ?').run(classId);
    })();
  } catch (error) {
    await removeMaskFiles(
      ws.root,
      rewritten.map((r) => r.written.file),
    );
    throw error;
  }
  await removeMaskFiles(
    ws.root,
    rewritten.map((r) => r.oldFile),
  );
  return { deleted: confirm };
}

export async function deleteTask(ws: Workspace, taskId: number, confirm: LabelLoss): Promise<{ deleted: LabelLoss }> {
  const db = ws.db;
  requireTask(db, taskId);
  const files = db.transaction(() => {
    checkConfirmation(taskLoss(db, taskId), confirm);
    const list = db.prepare('SELECT file FROM masks WHERE task_id = ?').pluck().all(taskId) as string[];
    db.prepare('DELETE FROM label_tasks WHERE id = ?').run(taskId);
    return list;
  })();
  await removeMaskFiles(ws.root, files);
  return { deleted: confirm };
}
