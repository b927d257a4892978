/**
 * `review.explain`: the heatmap the Review section draws over an image, from the engine's
 * `explain` on the frame the model reads. The class explained is named in the model's words, and
 * a class index the model does not have is refused before the engine is asked.
 */
import { LoupeError, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';
import type { ReviewService } from './review-service';

/** The frame `engineFrame` reads and so the one the heatmap lies on. */
const EXPLAINED_FRAME = 0;

export async function explainForReview(
  review: ReviewService,
  ws: Workspace,
  request: ParsedRequestOf<'review.explain'>,
  signal: AbortSignal,
): Promise<ReplyOf<'review.explain'>> {
  const model = await review.model(ws, request.runId);
  const classes = model.record.classes;
  if (request.classIndex !== undefined && request.classIndex >= classes.length)
    throw new LoupeError(
      'INVALID_REQUEST',
      `There is no class ${request.classIndex}: the model has ${classes.length} classes (${classes.join(', ')}).`,
    );
  const reply = await review.explainImage(
    model,
    request.imageId,
    {
      method: request.method,
      trust: request.trust,
      ...(request.classIndex === undefined ? {} : { classIndex: request.classIndex }),
    },
    signal,
  );
  const explained = reply.explanations[0];
  if (!explained) throw new LoupeError('INTERNAL', 'The engine returned no explanation for the image.');
  return {
    runId: request.runId,
    imageId: request.imageId,
    method: reply.method,
    classIndex: explained.classIndex,
    className: reply.classes[explained.classIndex] ?? String(explained.classIndex),
    probability: explained.probability,
    frame: EXPLAINED_FRAME,
    heatmap: explained.heatmap,
    rows: explained.rows,
    columns: explained.columns,
    peak: explained.peak,
    targetLayer: explained.targetLayer,
    trust: explained.trust ?? null,
  };
}
