/** The models domain's channels: a completed run's model used on workspace images (see model-use.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { ModelUseService } from './model-use';

export function modelsHandlers(models: ModelUseService): DomainHandlers<'models'> {
  return {
    'models.proposeBoxes': (r, context) => models.proposeBoxes(r, context.signal),
    'models.comparePair': (r, context) => models.comparePair(r, context.signal),
    'models.gallery': (r) => models.gallery(r.runId),
    'models.enrol': (r, context) => models.enrol(r, context.signal, (done, total) => context.progress({ done, total })),
    'models.removeReferences': (r) => models.removeReferences(r),
    'models.query': (r, context) => models.query(r, context.signal),
  };
}
