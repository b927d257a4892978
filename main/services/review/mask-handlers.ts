/** The channels of segmentation review (see mask-review.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { MaskReviewService } from './mask-review';
import { listMaskVerdicts } from './mask-trail';

export function maskReviewHandlers(
  review: MaskReviewService,
  workspaces: WorkspaceService,
): DomainHandlers<'reviewMasks'> {
  return {
    'reviewMasks.queue': (r, context) =>
      review.queue(r, context.signal, (done, total) => context.progress({ done, total })),
    'reviewMasks.image': (r, context) => review.image(r, context.signal),
    'reviewMasks.record': (r, context) => review.record(r, context.signal),
    'reviewMasks.applyCorrection': (r) => review.applyCorrection(r.verdictId),
    'reviewMasks.verdicts': (r) => ({ verdicts: listMaskVerdicts(workspaces.require().db, r.runId) }),
  };
}
