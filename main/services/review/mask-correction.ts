/**
 * A confirmed mask correction: the mask a "disagree" verdict on a segmentation run carries,
 * written into the run's task as the image's label and marked as coming from review (its save id,
 * as review-correction.ts does for classes). A retry applies nothing twice.
 */
import { LoupeError, type ReplyOf } from '../../../contract/index';
import { decodeMaskPng } from '../labels/mask-files';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';
import { currentMaskVerdicts, requireMaskVerdict, verdictMaskPngs } from './mask-trail';
import { writeReviewLabel } from './review-correction';

export async function applyMaskCorrection(
  ws: Workspace,
  verdictId: number,
): Promise<ReplyOf<'reviewMasks.applyCorrection'>> {
  const verdict = requireMaskVerdict(ws.db, verdictId);
  const png = verdictMaskPngs(ws.db, verdictId).correct;
  if (verdict.verdict !== 'disagree' || png === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Verdict ${verdictId} carries no correct mask; only a “disagree” with a mask can become a label.`,
    );
  if (verdict.taskId === null) throw new LoupeError('INVALID_REQUEST', `Verdict ${verdictId} has no task to label.`);
  const task = requireTask(ws.db, verdict.taskId);
  const done = (revision: number) => ({ taskId: task.id, imageId: verdict.imageId, revision });
  if (verdict.correctionRevision !== null) return done(verdict.correctionRevision);
  const latest = currentMaskVerdicts(ws.db, verdict.runId).get(verdict.imageId);
  if (latest && latest.id !== verdict.id)
    throw new LoupeError(
      'CONFLICT',
      `A later verdict (${latest.verdict}, ${latest.createdAt}) replaced verdict ${verdictId} on this image; only the current verdict's correction can become a label.`,
    );
  const revision = await writeReviewLabel(ws, verdictId, { taskId: task.id, imageId: verdict.imageId }, async () => ({
    mask: await decodeMaskPng(png),
  }));
  return done(revision);
}
