/** The models domain's channels: a completed run's model used on workspace images (see model-use.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { ModelUseService } from './model-use';
import type { PrelabelService } from './prelabel';

export function modelsHandlers(models: ModelUseService, prelabel: PrelabelService): DomainHandlers<'models'> {
  return {
    'models.proposeBoxes': (r, context) => models.proposeBoxes(r, context.signal),
    'models.comparePair': (r, context) => models.comparePair(r, context.signal),
    'models.gallery': (r) => models.gallery(r.runId),
    'models.enrol': (r, context) => models.enrol(r, context.signal, (done, total) => context.progress({ done, total })),
    'models.removeReferences': (r) => models.removeReferences(r),
    'models.query': (r, context) => models.query(r, context.signal),
    'models.proposeTags': (r, context) =>
      prelabel.proposeTags(r, context.signal, (done, total) => context.progress({ done, total })),
    'models.proposeMask': (r, context) => prelabel.proposeMask(r, context.signal),
    'models.labelNext': (r, context) =>
      prelabel.labelNext(r, context.signal, (done, total) => context.progress({ done, total })),
  };
}
