/** The batch job predicting in this process, and what it reports while it runs. */
import type { BatchJob, BatchProgress } from '../../../contract/index';
import { publicOf, type JobRecord } from './job-record';

/** The job predicting in this process. */
export interface ActiveJob {
  root: string;
  record: JobRecord;
  controller: AbortController;
  /** Files finished by earlier sessions (resume), counted by the manifest at start. */
  before: number;
  beforeFailed: number;
  progress: BatchProgress | null;
  /** performance.now() at this session's start, for images/s. */
  startedAt: number;
  lastEvent: number;
  settled: Promise<void>;
}

/** A job predicting now: counts from its progress and earlier sessions, speed and time left. */
export function summaryOfActive(job: ActiveJob): BatchJob {
  const p = job.progress;
  const done = p?.done ?? 0;
  // Files of earlier sessions come back as `skipped` while the walk passes them; `before` already counts them.
  const finished = job.before + done;
  const seconds = (performance.now() - job.startedAt) / 1000;
  const imagesPerSecond = done > 0 && seconds > 0 ? done / seconds : null;
  const total = job.record.total;
  const left = total === null ? null : Math.max(0, total - finished);
  return {
    ...publicOf(job.record),
    state: 'running',
    active: true,
    finished,
    failed: job.beforeFailed + (p?.failed ?? 0),
    imagesPerSecond,
    etaMs: left !== null && imagesPerSecond ? (left / imagesPerSecond) * 1000 : null,
    runtime: p?.runtime ?? job.record.runtime ?? null,
  };
}
