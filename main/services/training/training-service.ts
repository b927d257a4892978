/**
 * Training runs of the open workspace. A run is a background job owned by the services: the
 * call that starts it returns at once, progress is broadcast to every window, and the run's
 * outcome is written to the workspace whatever happens to the window that started it.
 *
 * One run at a time: a second start is refused, not queued. The engine worker trains on every
 * core it is given, so two runs would each go at half speed (and queued runs would start hours
 * later, unattended, on labels that may have changed since); a refusal says which run is
 * training and how to stop it.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import {
  LoupeError,
  trainRequestSchema,
  type ParsedRequestOf,
  type ReplyOf,
  type RunSummary,
  type TaskKind,
  type TrainingProgress,
} from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { EventBus } from '../event-bus';
import type { Logger } from '../logger';
import { Workspace } from '../workspace/workspace';
import type { WorkspaceService } from '../workspace/workspace-service';
import { architecturesFor, defaultConfig } from './defaults';
import { resolveDistillTeacher } from './distill-teacher';
import { resolveFineTuneSource } from './fine-tune-source';
import { newRunId, RunStore, settledState, summaryOf, type RunRow } from './run-store';
import { buildTaskDataset, describeTaskDataset, trainRefusal } from './task-dataset';
import { TrainingJob } from './training-job';

/** How long shutting down waits for a cancelled run to stop at a batch boundary. */
const SHUTDOWN_GRACE_MS = 15_000;

export class TrainingService {
  private job: TrainingJob | null = null;

  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly engine: EngineSupervisor,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  private store(): RunStore {
    return new RunStore(this.workspaces.require());
  }

  /** `kind`: what to train, default the task's kind (verification on a classification task: its classes are identities). */
  defaults(taskId: number, kind?: TaskKind): ReplyOf<'training.defaults'> {
    const built = describeTaskDataset(this.workspaces.require(), taskId, kind);
    return {
      taskId,
      taskName: built.task.name,
      kind: built.kind,
      config: defaultConfig(built.kind, built.report),
      dataset: built.report,
      architectures: architecturesFor(built.kind),
      cores: os.availableParallelism(),
    };
  }

  async start(request: ParsedRequestOf<'training.start'>): Promise<RunSummary> {
    this.refuseWhileTraining();
    const ws = this.workspaces.require();
    if (request.config && request.kind && request.config.task !== request.kind) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `The configuration trains ${request.config.task}, but the run was asked to train ${request.kind}.`,
      );
    }
    // A configuration says what it trains; buildTaskDataset refuses what the task has no labels for.
    const built = await buildTaskDataset(ws, request.taskId, { kind: request.config?.task ?? request.kind });
    const refusal = trainRefusal(built);
    if (refusal) throw new LoupeError('INVALID_REQUEST', refusal);
    const store = new RunStore(ws);
    const config = await resolveDistillTeacher(
      store,
      await resolveFineTuneSource(store, request.config ?? defaultConfig(built.kind, built.report)),
    );
    this.refuseWhileTraining();
    this.refuseWhileTrainingElsewhere(store);
    const runId = newRunId();
    store.insert({
      id: runId,
      taskId: built.task.id,
      taskName: built.task.name,
      kind: built.kind,
      state: 'running',
      config,
      ownerPid: process.pid,
    });
    return this.launch(store, runId, { runDir: store.folder(runId), dataset: built.dataset, config, runId });
  }

  async resume(runId: string): Promise<RunSummary> {
    this.refuseWhileTraining();
    const ws = this.workspaces.require();
    const store = new RunStore(ws);
    const row = store.require(runId);
    const record = await store.record(runId);
    const state = this.settle(store, row, record);
    if (state === 'running')
      throw new LoupeError(
        'CONFLICT',
        `Run ${runId} is training in another Loupe (process ${row.ownerPid}); stop or resume it there.`,
      );
    if (state === 'completed')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Run ${runId} has completed; there is nothing to resume. Start a new run to train again.`,
      );
    if (row.taskId === null)
      throw new LoupeError('INVALID_REQUEST', `The task run ${runId} trained on was deleted, so it cannot be resumed.`);
    const built = await buildTaskDataset(ws, row.taskId, { kind: row.kind });
    const dir = store.folder(runId);
    // Before its first finished epoch a run has nothing to resume from: it starts over, same config.
    const resumable = record !== null && existsSync(runFile(dir, 'lastCheckpoint'));
    if (!resumable) await fs.rm(runFile(dir, 'record'), { force: true });
    // Checked again after the awaits: from here to launch nothing yields, so two resumes cannot both pass.
    this.refuseWhileTraining();
    this.refuseWhileTrainingElsewhere(store);
    store.setState(runId, 'running', { ownerPid: process.pid });
    return this.launch(store, runId, {
      runDir: dir,
      dataset: built.dataset,
      runId,
      ...(resumable ? { resume: true } : { config: row.config }),
    });
  }

  cancel(runId: string): { cancelling: boolean } {
    if (this.job?.runId === runId) {
      this.job.cancel();
      return { cancelling: true };
    }
    const store = this.store();
    const row = store.require(runId);
    if (row.state === 'running' && row.ownerPid !== process.pid && this.settle(store, row, null) === 'running') {
      throw new LoupeError(
        'CONFLICT',
        `Run ${runId} is training in another Loupe (process ${row.ownerPid}); stop it there.`,
      );
    }
    return { cancelling: false };
  }

  async runs(): Promise<RunSummary[]> {
    const store = this.store();
    return Promise.all(store.list().map((row) => this.summarize(store, row)));
  }

  async run(runId: string): Promise<ReplyOf<'training.run'>> {
    const store = this.store();
    const row = store.require(runId);
    const record = await store.record(runId).catch((error: unknown) => {
      this.log.warn(`run ${runId}: ${(error as Error).message}`);
      return null;
    });
    const active = this.job?.runId === runId && this.job.root === store.root;
    return {
      summary: summaryOf(row, record, this.settle(store, row, record), active),
      record,
      progress: active ? this.job!.progress : null,
    };
  }

  /** Streams a run's progress until it ends; a run not training here answers at once. */
  async watch(runId: string, signal: AbortSignal, onProgress: (p: TrainingProgress) => void): Promise<RunSummary> {
    const job = this.job;
    const store = this.store();
    if (!job || job.runId !== runId || job.root !== store.root) return this.summarize(store, store.require(runId));
    if (job.progress) onProgress(job.progress);
    const unsubscribe = job.watch(onProgress);
    try {
      await new Promise<void>((resolve, reject) => {
        void job.outcome.then(() => resolve());
        signal.addEventListener(
          'abort',
          () => reject(new LoupeError('CANCELLED', 'Stopped watching; the run goes on.')),
          { once: true },
        );
      });
    } finally {
      unsubscribe();
    }
    // The runs row is settled just after the outcome; wait for it.
    await this.settled;
    return this.summarize(store, store.require(runId));
  }

  async delete(runId: string): Promise<{ deleted: boolean }> {
    const store = this.store();
    const row = store.find(runId);
    if (!row) return { deleted: false };
    if (this.settle(store, row, await store.record(runId).catch(() => null)) === 'running') {
      throw new LoupeError('CONFLICT', `Run ${runId} is training; cancel it before deleting it.`);
    }
    await fs.rm(store.folder(runId), { recursive: true, force: true });
    store.delete(runId);
    this.bus.emit('training.changed', { workspace: store.root, runId, run: null });
    return { deleted: true };
  }

  /** Stops a run at its next batch boundary before the engine goes away: it resumes as cancelled, not as interrupted. */
  async dispose(): Promise<void> {
    const job = this.job;
    if (!job) return;
    job.cancel();
    await Promise.race([this.settled, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
  }

  /** Resolves once the last job's outcome is written to its runs row. */
  private settled: Promise<void> = Promise.resolve();

  private refuseWhileTraining(): void {
    const job = this.job;
    if (!job) return;
    const at = job.progress ? ` (epoch ${job.progress.epoch + 1} of ${job.progress.epochs})` : '';
    throw new LoupeError(
      'CONFLICT',
      `Run ${job.runId} is training${at}; one run trains at a time. Cancel it or wait until it finishes.`,
    );
  }

  /** Another Loupe (the CLI beside the app) training in this workspace would halve both runs' speed. */
  private refuseWhileTrainingElsewhere(store: RunStore): void {
    const other = store
      .list()
      .find(
        (row) => row.state === 'running' && row.ownerPid !== process.pid && this.settle(store, row, null) === 'running',
      );
    if (other)
      throw new LoupeError(
        'CONFLICT',
        `Run ${other.id} is training in another Loupe (process ${other.ownerPid}) on this workspace; one run trains at a time.`,
      );
  }

  private launch(store: RunStore, runId: string, request: unknown): Promise<RunSummary> {
    const root = store.root;
    const job = new TrainingJob({
      runId,
      root,
      request: trainRequestSchema.parse(request),
      engine: this.engine,
      broadcast: (progress) => this.bus.emit('training.progress', { workspace: root, runId, progress }),
    });
    this.job = job;
    this.settled = job.outcome.then(async ({ state, error }) => {
      if (this.job === job) this.job = null;
      if (error) this.log.warn(`run ${runId} ${state}: ${error}`);
      try {
        const summary = await this.withStore(root, async (s) => {
          s.setState(runId, state, { error });
          return this.summarize(s, s.require(runId));
        });
        this.bus.emit('training.changed', { workspace: root, runId, run: summary });
      } catch (e) {
        this.log.error(`could not record the end of run ${runId}`, e);
      }
    });
    return this.summarize(store, store.require(runId)).then((summary) => {
      this.bus.emit('training.changed', { workspace: root, runId, run: summary });
      return summary;
    });
  }

  /** The store of a workspace folder: the open one, or (the user moved on) a connection of its own. */
  private async withStore<T>(root: string, work: (store: RunStore) => Promise<T>): Promise<T> {
    const current = this.workspaces.current();
    if (current?.path === root) return work(this.store());
    const ws = Workspace.open(root);
    try {
      return await work(new RunStore(ws));
    } finally {
      ws.close();
    }
  }

  private settle(store: RunStore, row: RunRow, record: Awaited<ReturnType<RunStore['record']>>) {
    return settledState(row, record, (id) => this.job?.runId === id && this.job.root === store.root);
  }

  private async summarize(store: RunStore, row: RunRow): Promise<RunSummary> {
    const record = await store.record(row.id).catch(() => null);
    const state = this.settle(store, row, record);
    // Persist what was found: an interrupted run stays interrupted even once its pid is reused.
    if (state !== row.state) store.setState(row.id, state, { error: row.error });
    return summaryOf(row, record, state, this.job?.runId === row.id && this.job.root === store.root);
  }
}
