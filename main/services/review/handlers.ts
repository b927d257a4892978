/** The review domain's channels (see review-service.ts and report.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { WorkspaceService } from '../workspace/workspace-service';
import { measureCalibration } from './calibration';
import { exportReview } from './report';
import { explainForReview } from './review-explain';
import { featureMapsForReview } from './review-feature-maps';
import type { ReviewService } from './review-service';
import { listVerdicts, reviewer, setReviewer } from './trail';

export function reviewHandlers(review: ReviewService, workspaces: WorkspaceService): DomainHandlers<'review'> {
  return {
    'review.settings': (r) => {
      const db = workspaces.require().db;
      if (r.reviewer !== undefined) setReviewer(db, r.reviewer);
      return reviewer(db);
    },
    'review.queue': (r, context) => review.queue(r, context.signal, (done, total) => context.progress({ done, total })),
    'review.record': (r, context) => review.record(r, context.signal),
    'review.applyCorrection': (r) => review.applyCorrection(r.verdictId),
    'review.verdicts': (r) => ({ verdicts: listVerdicts(workspaces.require().db, r.runId) }),
    'review.calibration': (r, context) =>
      measureCalibration(review, workspaces.require(), r, context.signal, (done, total) =>
        context.progress({ done, total }),
      ),
    'review.explain': (r, context) => explainForReview(review, workspaces.require(), r, context.signal),
    'review.featureMaps': (r, context) => featureMapsForReview(review, workspaces.require(), r, context.signal),
    'review.export': (r, context) =>
      exportReview(workspaces.require(), review, r, (done, total) => context.progress({ done, total }), context.signal),
  };
}
