/** How the Batch section words a job and its times. */
import type { BatchJob } from '../../../contract/index';

/** "2 h 05 min", "4 min 10 s", "12 s": an ETA to the nearest second, no more precise than useful. */
export function durationText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

/** The model a job predicts with, as the user chose it. */
export function modelText(job: Pick<BatchJob, 'model' | 'task'>): string {
  return 'runId' in job.model ? `${job.model.runId} (${job.task})` : `${job.model.dir} (${job.task})`;
}

/** What a job writes beside its predictions, as " · …" after its model ('' for neither). */
export function optionsText(job: Pick<BatchJob, 'gallery' | 'explain'>): string {
  const parts: string[] = [];
  if (job.gallery) parts.push(`matched against the gallery, ${job.gallery.k} nearest`);
  if (job.explain) parts.push(`${job.explain} heatmaps`);
  return parts.map((p) => ` · ${p}`).join('');
}
