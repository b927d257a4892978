/** A confirmed correction: a disagree verdict's correct class written into the run's task as a label, marked as coming from review. */
import { LoupeError, type ReplyOf } from '../../../contract/index';
import { saveImageLabels } from '../labels/image-labels';
import { currentRevision } from '../labels/revisions';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';
import { appendCorrection, currentVerdicts, requireVerdict } from './trail';

/** The label revision's save id of a correction: how a label is known to come from review. */
export const reviewSaveId = (verdictId: number): string => `review-${verdictId}`;

/** Writes a disagree verdict's correct class as the image's label in the run's task; a retry applies nothing twice. */
export async function applyCorrection(ws: Workspace, verdictId: number): Promise<ReplyOf<'review.applyCorrection'>> {
  const verdict = requireVerdict(ws.db, verdictId);
  if (verdict.verdict !== 'disagree' || verdict.correctClass === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Verdict ${verdictId} names no correct class; only a “disagree” with a class can become a label.`,
    );
  if (verdict.taskId === null) throw new LoupeError('INVALID_REQUEST', `Verdict ${verdictId} has no task to label.`);
  const task = requireTask(ws.db, verdict.taskId);
  const correct = task.classes.find((c) => c.name.toLowerCase() === verdict.correctClass!.toLowerCase());
  if (!correct)
    throw new LoupeError('NOT_FOUND', `The task “${task.name}” no longer has the class “${verdict.correctClass}”.`);
  const saveId = reviewSaveId(verdictId);
  const done = (revision: number) => ({
    taskId: task.id,
    imageId: verdict.imageId,
    revision,
    classIds: tagsOf(ws, task.id, verdict.imageId),
  });
  if (verdict.correctionRevision !== null) return done(verdict.correctionRevision);
  const latest = currentVerdicts(ws.db, verdict.runId).get(verdict.imageId);
  if (latest && latest.id !== verdict.id) {
    throw new LoupeError(
      'CONFLICT',
      `A later verdict (${latest.verdict}, ${latest.createdAt}) replaced verdict ${verdictId} on this image; only the current verdict's correction can become a label.`,
    );
  }
  const before = currentRevision(ws.db, task.id, verdict.imageId);
  let revision: number;
  if (before.saveId === saveId) {
    // The label was written but the process stopped before the correction was recorded.
    revision = before.revision;
  } else {
    const current = tagsOf(ws, task.id, verdict.imageId);
    const wrong = task.classes.find(
      (c) => c.name.toLowerCase() === verdict.prediction.predictedClass.toLowerCase(),
    )?.id;
    // Multi-label: the wrong predicted class makes way for the correct one; single-label: the correct one alone.
    const classIds = task.multiLabel
      ? [...new Set([...current.filter((id) => id !== wrong), correct.id])]
      : [correct.id];
    revision = (
      await saveImageLabels(ws, {
        taskId: task.id,
        imageId: verdict.imageId,
        saveId,
        baseRevision: before.revision,
        classIds,
      })
    ).revision;
  }
  appendCorrection(ws.db, verdictId, task.id, verdict.imageId, revision);
  return done(revision);
}

function tagsOf(ws: Workspace, taskId: number, imageId: number): number[] {
  return ws.db
    .prepare('SELECT class_id FROM class_tags WHERE task_id = ? AND image_id = ? ORDER BY class_id')
    .pluck()
    .all(taskId, imageId) as number[];
}
