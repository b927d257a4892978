/** The channels of detection and verification verdicts (see box-pair-review.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { BoxPairReviewService } from './box-pair-review';
import { listBoxPairVerdicts } from './box-pair-trail';

export function boxPairReviewHandlers(
  review: BoxPairReviewService,
  workspaces: WorkspaceService,
): DomainHandlers<'reviewBoxes'> {
  return {
    'reviewBoxes.recordBoxes': (r, context) => review.recordBoxes(r, context.signal),
    'reviewBoxes.recordPair': (r, context) => review.recordPair(r, context.signal),
    'reviewBoxes.applyCorrection': (r) => review.applyCorrection(r.verdictId),
    'reviewBoxes.verdicts': (r) => ({ verdicts: listBoxPairVerdicts(workspaces.require().db, r.runId) }),
  };
}
