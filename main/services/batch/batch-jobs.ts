/**
 * Batch jobs of the Batch section: a batch prediction owned by the services rather than by the
 * call that started it, as a training run is. The call that starts one returns at once; progress
 * goes to every window as `batch.job` events; the job's record in the workspace says how it ended.
 * A job found "running" whose process is gone was interrupted (Loupe closed or crashed): resuming
 * it predicts, through the output folder's manifest, only the files not finished yet.
 *
 * One job at a time: the engine predicts on every core it has, so two jobs would each go at half
 * speed; a second start is refused with the job to wait for.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, type BatchJob, type BatchProgress, type ParsedRequestOf } from '../../../contract/index';
import type { EventBus } from '../event-bus';
import { walkFiles } from '../imaging/file-walk';
import type { Logger } from '../logger';
import { processAlive } from '../training/run-store';
import { outcomeOf, PROGRESS_EVENT_INTERVAL_MS } from '../training/training-job';
import type { WorkspaceService } from '../workspace/workspace-service';
import { summaryOfActive, type ActiveJob } from './active-job';
import type { BatchService } from './batch-service';
import { listRecords, newJobId, publicOf, readRecord, writeRecord, type JobRecord } from './job-record';
import { readManifest } from './output-folder';

/** How long shutting down waits for a cancelled job to finish the group it is predicting. */
const SHUTDOWN_GRACE_MS = 15_000;

export class BatchJobs {
  private active: ActiveJob | null = null;

  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly batch: BatchService,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  private root(): string {
    return this.workspaces.require().root;
  }

  async start(request: ParsedRequestOf<'batch.start'>): Promise<BatchJob> {
    this.refuseWhileRunning();
    const root = this.root();
    const inputs = request.inputs.map((p) => path.resolve(p));
    const missing = inputs.filter((p) => !existsSync(p));
    if (missing.length > 0)
      throw new LoupeError(
        'NOT_FOUND',
        `${missing.length === 1 ? 'This folder does' : 'These do'} not exist: ${missing.join(', ')}.`,
      );
    const out = path.resolve(request.out);
    // Checked here as well as when the folder is opened, so a bad folder is refused before the job exists.
    const entries = await fs.readdir(out).catch(() => [] as string[]);
    if (entries.length > 0)
      throw new LoupeError('INVALID_REQUEST', `${out} is not empty; choose an empty or new output folder.`);
    const { facts, formats } = await this.batch.check(request);
    // The results table reads predictions.jsonl, which every task can write.
    formats.add('jsonl');
    this.refuseWhileRunning();
    const now = new Date().toISOString();
    const record: JobRecord = {
      format: 'loupe-batch-job',
      version: 1,
      jobId: newJobId(),
      model: request.model,
      task: facts.task,
      classes: facts.classes,
      inputs,
      out,
      formats: [...formats],
      threshold: request.threshold ?? null,
      gallery: request.gallery ?? null,
      explain: request.explain ?? null,
      state: 'running',
      error: null,
      ownerPid: process.pid,
      total: null,
      finished: 0,
      failed: 0,
      createdAt: now,
      updatedAt: now,
    };
    await writeRecord(root, record);
    return this.launch(root, record, false);
  }

  async resume(jobId: string): Promise<BatchJob> {
    this.refuseWhileRunning();
    const root = this.root();
    const record = await readRecord(root, jobId);
    const state = this.stateOf(root, record);
    if (state === 'running')
      throw new LoupeError('CONFLICT', `Batch job ${jobId} is running in another Loupe (process ${record.ownerPid}).`);
    if (state === 'completed')
      throw new LoupeError('INVALID_REQUEST', `Batch job ${jobId} has finished; there is nothing to resume.`);
    this.refuseWhileRunning();
    const resumed: JobRecord = {
      ...record,
      state: 'running',
      error: null,
      ownerPid: process.pid,
      updatedAt: new Date().toISOString(),
    };
    await writeRecord(root, resumed);
    return this.launch(root, resumed, true);
  }

  cancel(jobId: string): { cancelling: boolean } {
    if (this.active?.record.jobId !== jobId) return { cancelling: false };
    this.active.controller.abort();
    return { cancelling: true };
  }

  async jobs(): Promise<BatchJob[]> {
    const root = this.root();
    return Promise.all((await listRecords(root)).map((record) => this.summary(root, record)));
  }

  async job(jobId: string): Promise<BatchJob> {
    const root = this.root();
    return this.summary(root, await readRecord(root, jobId));
  }

  /** Stops the job at its next group before the engine goes away: it shows as cancelled, resumable. */
  async dispose(): Promise<void> {
    const job = this.active;
    if (!job) return;
    job.controller.abort();
    await Promise.race([job.settled, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
  }

  private refuseWhileRunning(): void {
    const job = this.active;
    if (!job) return;
    throw new LoupeError(
      'CONFLICT',
      `Batch job ${job.record.jobId} is predicting; one batch runs at a time. Cancel it or wait until it finishes.`,
    );
  }

  private async launch(root: string, record: JobRecord, resume: boolean): Promise<BatchJob> {
    const { entries } = await readManifest(record.out);
    const controller = new AbortController();
    const job: ActiveJob = {
      root,
      record,
      controller,
      before: entries.length,
      beforeFailed: entries.filter((e) => e.status === 'failed').length,
      progress: null,
      startedAt: performance.now(),
      lastEvent: 0,
      settled: Promise.resolve(),
    };
    this.active = job;
    void this.countFiles(job);
    const request = {
      model: record.model,
      inputs: record.inputs,
      out: record.out,
      // On resume the folder's own formats hold (batch.json); asking again would have to match them exactly.
      formats: resume ? [] : record.formats,
      ...(record.threshold === null ? {} : { threshold: record.threshold }),
      // Given on resume too: the output folder was begun with them, and a resume must ask the same.
      ...(record.gallery ? { gallery: record.gallery } : {}),
      ...(record.explain ? { explain: record.explain } : {}),
      resume,
      shard: null,
    };
    job.settled = this.batch
      .predict(request, controller.signal, (p) => this.onProgress(job, p))
      .then(
        (report) => ({ state: report.cancelled ? ('cancelled' as const) : ('completed' as const), error: null }),
        (error: unknown) => outcomeOf(error, controller.signal.aborted),
      )
      .then((outcome) => this.settle(job, outcome));
    const summary = summaryOfActive(job);
    this.emit(root, summary);
    return summary;
  }

  /**
   * The files under the inputs, for the ETA: a walk of names only, far quicker than predicting them.
   * It runs to the end even when the job is cancelled, so a cancelled job still says how much is left.
   */
  private async countFiles(job: ActiveJob): Promise<void> {
    const seen = new Set<string>();
    try {
      for await (const file of walkFiles(job.record.inputs, new AbortController().signal)) seen.add(file.path);
      job.record.total = seen.size;
      if (this.active !== job) await this.recordTotal(job);
    } catch (error) {
      this.log.warn(`batch ${job.record.jobId}: counting files failed: ${(error as Error).message}`);
    }
  }

  /** A count that ended after its job did goes into the record the job's end already wrote. */
  private async recordTotal(job: ActiveJob): Promise<void> {
    await job.settled;
    const record = await readRecord(job.root, job.record.jobId);
    if (record.total === job.record.total) return;
    const updated = { ...record, total: job.record.total };
    await writeRecord(job.root, updated);
    this.emit(job.root, await this.summary(job.root, updated));
  }

  private onProgress(job: ActiveJob, progress: BatchProgress): void {
    job.progress = progress;
    const now = performance.now();
    if (now - job.lastEvent < PROGRESS_EVENT_INTERVAL_MS) return;
    job.lastEvent = now;
    this.emit(job.root, summaryOfActive(job));
  }

  private async settle(job: ActiveJob, outcome: ReturnType<typeof outcomeOf>): Promise<void> {
    const counts = summaryOfActive(job);
    if (this.active === job) this.active = null;
    if (outcome.error) this.log.warn(`batch ${job.record.jobId} ${outcome.state}: ${outcome.error}`);
    const record: JobRecord = {
      ...job.record,
      state: outcome.state,
      error: outcome.error,
      ownerPid: null,
      finished: counts.finished,
      failed: counts.failed,
      imagesPerSecond: counts.imagesPerSecond,
      runtime: counts.runtime,
      updatedAt: new Date().toISOString(),
    };
    try {
      await writeRecord(job.root, record);
      this.emit(job.root, await this.summary(job.root, record));
    } catch (error) {
      this.log.error(`could not record the end of batch job ${record.jobId}`, error);
    }
  }

  private emit(workspace: string, job: BatchJob): void {
    this.bus.emit('batch.job', { workspace, job });
  }

  /** What a record's state is now: "running" by a process that is gone means interrupted. */
  private stateOf(root: string, record: JobRecord): BatchJob['state'] {
    if (record.state !== 'running') return record.state;
    if (this.active?.record.jobId === record.jobId && this.active.root === root) return 'running';
    if (record.ownerPid !== null && record.ownerPid !== process.pid && processAlive(record.ownerPid)) return 'running';
    return 'interrupted';
  }

  private async summary(root: string, record: JobRecord): Promise<BatchJob> {
    const active = this.active;
    if (active?.record.jobId === record.jobId && active.root === root) return summaryOfActive(active);
    const state = this.stateOf(root, record);
    // An unfinished job's counts are the manifest's: the record was last written before the stop.
    const counts =
      state === 'completed'
        ? { finished: record.finished, failed: record.failed }
        : await readManifest(record.out).then(({ entries }) => ({
            finished: entries.length,
            failed: entries.filter((e) => e.status === 'failed').length,
          }));
    return {
      ...publicOf(record),
      state,
      active: false,
      ...counts,
      imagesPerSecond: record.imagesPerSecond ?? null,
      etaMs: null,
    };
  }
}
