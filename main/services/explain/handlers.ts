import type { EngineSupervisor } from '../../engine/supervisor';
import type { DomainHandlers } from '../dispatcher';
import type { ImagingService } from '../imaging/imaging-service';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { ExplainReview } from './explain-review';
import type { ExplainService } from './explain-service';
import { writeFeatureMaps } from './feature-maps-files';

export function explainHandlers(
  explain: ExplainService,
  review: ExplainReview,
  workspaces: WorkspaceService,
  imaging: ImagingService,
  engine: EngineSupervisor,
): DomainHandlers<'explain'> {
  return {
    'explain.write': (request, context) => explain.write(request, context.signal, (p) => context.progress(p)),
    'explain.featureMaps': (request, context) => writeFeatureMaps(workspaces, imaging, engine, request, context.signal),
    'explain.reviewItems': (request) => review.items(request),
    'explain.boxes': (request, context) => review.boxes(request, context.signal),
    'explain.pair': (request, context) => review.pair(request, context.signal),
  };
}
