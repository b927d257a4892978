/**
 * A confirmed correction of a detection or verification verdict: the boxes a "disagree" carries
 * replace the image's boxes in the run's task, saved as coming from review (the save id
 * review-correction.ts gives classes), or the pair's right answer is written into the
 * verification task. Only the current verdict's correction applies, and a retry applies nothing twice.
 */
import { LoupeError, type ReplyOf } from '../../../contract/index';
import { addPair } from '../labels/pairs';
import { requireTask } from '../labels/tasks';
import type { Workspace } from '../workspace/workspace';
import { currentBoxPairVerdict, requireBoxPairVerdict } from './box-pair-trail';
import { writeReviewLabel } from './review-correction';
import { appendCorrection } from './trail';

export async function applyBoxPairCorrection(
  ws: Workspace,
  verdictId: number,
): Promise<ReplyOf<'reviewBoxes.applyCorrection'>> {
  const verdict = requireBoxPairVerdict(ws.db, verdictId);
  const correction = verdict.correction;
  if (verdict.verdict !== 'disagree' || correction === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Verdict ${verdictId} carries no correction; only a “disagree” with corrected boxes or a right answer can become a label.`,
    );
  if (verdict.taskId === null) throw new LoupeError('INVALID_REQUEST', `Verdict ${verdictId} has no task to label.`);
  const task = requireTask(ws.db, verdict.taskId);
  const done = (revision: number) => ({ taskId: task.id, imageId: verdict.imageId, revision });
  if (verdict.correctionRevision !== null) return done(verdict.correctionRevision);
  const pairImage = verdict.prediction.kind === 'verification' ? verdict.prediction.imageB : null;
  const latest = currentBoxPairVerdict(ws.db, verdict.runId, verdict.imageId, pairImage);
  if (latest && latest.id !== verdict.id)
    throw new LoupeError(
      'CONFLICT',
      `A later verdict (${latest.verdict}, ${latest.createdAt}) replaced verdict ${verdictId}; only the current verdict's correction can become a label.`,
    );
  if ('same' in correction) {
    if (pairImage === null) throw new LoupeError('INTERNAL', `Verdict ${verdictId} corrects a pair but names none.`);
    // Marking a pair again updates it, so a retry writes the same answer; the pair's id is what the correction row keeps.
    const pair = addPair(ws.db, task.id, verdict.imageId, pairImage, correction.same);
    appendCorrection(ws.db, verdictId, task.id, verdict.imageId, pair.id);
    return done(pair.id);
  }
  const revision = await writeReviewLabel(ws, verdictId, { taskId: task.id, imageId: verdict.imageId }, () => ({
    boxes: correction.boxes,
  }));
  return done(revision);
}
