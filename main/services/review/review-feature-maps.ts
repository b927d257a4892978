/**
 * `review.featureMaps`: the Layers panel's feature maps and first-layer filters of the image
 * shown, from the engine's `featureMaps` on the frame the model reads (as `review.explain`).
 */
import type { ParsedRequestOf, ReplyOf } from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';
import type { ReviewService } from './review-service';

/** The frame `engineFrame` reads and so the one a tile laid over the image lies on. */
const READ_FRAME = 0;

export async function featureMapsForReview(
  review: ReviewService,
  ws: Workspace,
  request: ParsedRequestOf<'review.featureMaps'>,
  signal: AbortSignal,
): Promise<ReplyOf<'review.featureMaps'>> {
  const model = await review.model(ws, request.runId);
  const { maps, frame } = await review.featureMapsOfImage(model, request.imageId, request.layer, signal);
  return {
    ...maps,
    runId: request.runId,
    imageId: request.imageId,
    frame: READ_FRAME,
    frameRows: frame.rows,
    frameColumns: frame.columns,
  };
}
