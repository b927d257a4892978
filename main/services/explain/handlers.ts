import type { DomainHandlers } from '../dispatcher';
import type { ExplainService } from './explain-service';

export function explainHandlers(explain: ExplainService): DomainHandlers<'explain'> {
  return {
    'explain.write': (request, context) => explain.write(request, context.signal, (p) => context.progress(p)),
  };
}
