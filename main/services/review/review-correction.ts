/** A confirmed correction: a disagree verdict's correct class written into the run's task as a label, marked as coming from review. */
import { LoupeError, type ReplyOf } from '../../../contract/index';
import { saveImageLabels } from '../labels/image-labels';
import { currentRevision } from '../labels/revisions';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';
import { appendCorrection, currentVerdicts, requireVerdict } from './trail';

/** The label revision's save id of a correction: how a label is known to come from review. */
export const reviewSaveId = (verdictId: number): string => `review-${verdictId}`;

/** What a correction writes: classes, a mask or boxes, as `labels.save` takes them. */
type ReviewLabels = Omit<Parameters<typeof saveImageLabels>[1], 'taskId' | 'imageId' | 'saveId' | 'baseRevision'>;

/**
 * Writes a confirmed correction as the image's next label revision, marked as coming from review,
 * and records it against its verdict; returns the revision. `labels` is asked for only when the
 * label is not written yet: after a crash between the two writes, a retry records what was saved.
 */
export async function writeReviewLabel(
  ws: Workspace,
  verdictId: number,
  where: { taskId: number; imageId: number },
  labels: () => ReviewLabels | Promise<ReviewLabels>,
): Promise<number> {
  const saveId = reviewSaveId(verdictId);
  const before = currentRevision(ws.db, where.taskId, where.imageId);
  const revision =
    before.saveId === saveId
      ? before.revision
      : (await saveImageLabels(ws, { ...where, saveId, baseRevision: before.revision, ...(await labels()) })).revision;
  appendCorrection(ws.db, verdictId, where.taskId, where.imageId, revision);
  return revision;
}

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
  const revision = await writeReviewLabel(ws, verdictId, { taskId: task.id, imageId: verdict.imageId }, () => {
    const current = tagsOf(ws, task.id, verdict.imageId);
    const wrong = task.classes.find(
      (c) => c.name.toLowerCase() === verdict.prediction.predictedClass.toLowerCase(),
    )?.id;
    // Multi-label: the wrong predicted class makes way for the correct one; single-label: the correct one alone.
    const classIds = task.multiLabel
      ? [...new Set([...current.filter((id) => id !== wrong), correct.id])]
      : [correct.id];
    return { classIds };
  });
  return done(revision);
}

function tagsOf(ws: Workspace, taskId: number, imageId: number): number[] {
  return ws.db
    .prepare('SELECT class_id FROM class_tags WHERE task_id = ? AND image_id = ? ORDER BY class_id')
    .pluck()
    .all(taskId, imageId) as number[];
}
