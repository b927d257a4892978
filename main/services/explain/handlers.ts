import type { DomainHandlers } from '../dispatcher';
import type { ExplainReview } from './explain-review';
import type { ExplainService } from './explain-service';

export function explainHandlers(explain: ExplainService, review: ExplainReview): DomainHandlers<'explain'> {
  return {
    'explain.write': (request, context) => explain.write(request, context.signal, (p) => context.progress(p)),
    'explain.reviewItems': (request) => review.items(request),
    'explain.boxes': (request, context) => review.boxes(request, context.signal),
    'explain.pair': (request, context) => review.pair(request, context.signal),
  };
}
