import type { DomainHandlers } from '../dispatcher';
import type { BatchService } from './batch-service';
import { mergeBatches } from './merge';

export function batchHandlers(batch: BatchService): DomainHandlers<'batch'> {
  return {
    'batch.predict': (request, context) => batch.predict(request, context.signal, (p) => context.progress(p)),
    'batch.merge': ({ dirs, out }) => mergeBatches(dirs, out),
  };
}
