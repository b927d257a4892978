/** The training domain's channels: runs of the open workspace (see training-service.ts). */
import type { DomainHandlers } from '../dispatcher';
import type { TrainedRunService } from './trained-runs';
import type { TrainingService } from './training-service';

export function trainingHandlers(training: TrainingService, trained: TrainedRunService): DomainHandlers<'training'> {
  return {
    'training.defaults': (r) => training.defaults(r.taskId, r.kind),
    'training.start': (r) => training.start(r),
    'training.resume': (r) => training.resume(r.runId),
    'training.cancel': (r) => training.cancel(r.runId),
    'training.runs': async () => ({ runs: await training.runs() }),
    'training.run': (r) => training.run(r.runId),
    'training.watch': (r, context) => training.watch(r.runId, context.signal, (p) => context.progress(p)),
    'training.delete': (r) => training.delete(r.runId),
    'training.evaluate': (r, context) =>
      trained.evaluate(r, context.signal, (done, total) => context.progress({ done, total })),
    'training.export': (r, context) =>
      trained.export(r, context.signal, (done, total) => context.progress({ done, total })),
    'training.exports': (r) => trained.exports(r.runId),
    'training.compareExports': (r, context) =>
      trained.compareExports(r.runId, context.signal, (done, total) => context.progress({ done, total })),
  };
}
