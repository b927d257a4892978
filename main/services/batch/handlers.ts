import type { EngineSupervisor } from '../../engine/supervisor';
import type { DomainHandlers } from '../dispatcher';
import type { DecodePool } from '../imaging/decode-pool';
import type { WorkspaceService } from '../workspace/workspace-service';
import type { BatchJobs } from './batch-jobs';
import { BatchResults } from './batch-results';
import type { BatchService } from './batch-service';
import { BatchView } from './batch-view';
import { GalleryFiles } from './gallery-files';
import { mergeBatches } from './merge';

export function batchHandlers(
  batch: BatchService,
  jobs: BatchJobs,
  workspaces: WorkspaceService,
  pool: DecodePool,
  engine: EngineSupervisor,
): DomainHandlers<'batch'> {
  const results = new BatchResults();
  const view = new BatchView(jobs, results, batch, workspaces, pool, engine);
  const gallery = new GalleryFiles(batch, engine, pool);
  return {
    'batch.predict': (request, context) => batch.predict(request, context.signal, (p) => context.progress(p)),
    'batch.merge': ({ dirs, out }) => mergeBatches(dirs, out),
    'batch.start': (request) => jobs.start(request),
    'batch.jobs': async () => ({ jobs: await jobs.jobs() }),
    'batch.cancel': ({ jobId }) => jobs.cancel(jobId),
    'batch.resume': ({ jobId }) => jobs.resume(jobId),
    'batch.results': async (request) => {
      const job = await jobs.job(request.jobId);
      return results.page(job.out, workspaces.require().db, request);
    },
    'batch.file': ({ jobId, path }) => view.file(jobId, path),
    'batch.frame': ({ jobId, path, frame }) => view.frame(jobId, path, frame),
    'batch.explain': ({ jobId, path, frame }) => view.explain(jobId, path, frame),
    'batch.prediction': ({ jobId, path, frame }) => view.prediction(jobId, path, frame),
    'batch.galleryEnrol': (request, context) =>
      gallery.enrol(request, context.signal, (done, total) => context.progress({ done, total })),
    'batch.gallery': ({ model }) => gallery.list(model),
    'batch.galleryRemove': (request) => gallery.remove(request),
    'batch.galleryPictures': ({ model, ids }) => gallery.pictures(model, ids),
  };
}
