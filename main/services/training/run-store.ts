/**
 * Runs of a workspace: the `runs` rows (migration 004) beside the run folders under runs/<id>/,
 * whose run.json the engine writes. A summary joins both: the row says which task and who trains
 * it now; the record says how far it got and how well it did.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  LoupeError,
  runIdSchema,
  trainingConfigSchema,
  type RunRecord,
  type RunState,
  type RunSummary,
  type TaskKind,
  type TrainingConfig,
} from '../../../contract/index';
import { readRunRecord } from '../../../base/run-files';
import type { Workspace } from '../workspace/workspace';

/** Run folders live here inside the workspace. */
export const RUNS_FOLDER = 'runs';

export interface RunRow {
  id: string;
  taskId: number | null;
  taskName: string;
  kind: TaskKind;
  state: RunState;
  config: TrainingConfig;
  ownerPid: number | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

interface DbRow {
  id: string;
  task_id: number | null;
  task_name: string;
  kind: TaskKind;
  state: RunState;
  config_json: string;
  owner_pid: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

function fromDb(row: DbRow): RunRow {
  return {
    id: row.id,
    taskId: row.task_id,
    taskName: row.task_name,
    kind: row.kind,
    state: row.state,
    config: trainingConfigSchema.parse(JSON.parse(row.config_json)),
    ownerPid: row.owner_pid,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `run-YYYYMMDD-HHMMSS-xxxx` in UTC: sorts by start time, and the suffix keeps two starts in one second apart. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The folder of a run; the id is checked so no caller string can point elsewhere. */
export function runFolder(root: string, runId: string): string {
  return path.join(root, RUNS_FOLDER, runIdSchema.parse(runId));
}

/** Whether a process still exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunStore {
  constructor(private readonly ws: Workspace) {}

  get root(): string {
    return this.ws.root;
  }

  insert(row: Omit<RunRow, 'createdAt' | 'updatedAt' | 'error'>): void {
    const now = new Date().toISOString();
    this.ws.db
      .prepare(
        `INSERT INTO runs (id, task_id, task_name, kind, state, config_json, owner_pid, error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      )
      .run(row.id, row.taskId, row.taskName, row.kind, row.state, JSON.stringify(row.config), row.ownerPid, now, now);
  }

  setState(id: string, state: RunState, options: { error?: string | null; ownerPid?: number | null } = {}): void {
    this.ws.db
      .prepare('UPDATE runs SET state = ?, error = ?, owner_pid = ?, updated_at = ? WHERE id = ?')
      .run(state, options.error ?? null, options.ownerPid ?? null, new Date().toISOString(), id);
  }

  find(id: string): RunRow | null {
    const row = this.ws.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as DbRow | undefined;
    return row ? fromDb(row) : null;
  }

  require(id: string): RunRow {
    const row = this.find(id);
    if (!row) throw new LoupeError('NOT_FOUND', `This workspace has no run ${id}.`);
    return row;
  }

  list(): RunRow[] {
    return (this.ws.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC').all() as DbRow[]).map(fromDb);
  }

  delete(id: string): void {
    this.ws.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
  }

  folder(id: string): string {
    return runFolder(this.ws.root, id);
  }

  record(id: string): Promise<RunRecord | null> {
    return readRunRecord(this.folder(id));
  }
}

/**
 * A `running` row whose trainer is gone is interrupted — unless its record shows the engine
 * finished (Loupe stopped between the engine's last write and the row's update).
 */
export function settledState(row: RunRow, record: RunRecord | null, trainingHere: (id: string) => boolean): RunState {
  if (row.state !== 'running') return row.state;
  if (row.ownerPid === process.pid ? trainingHere(row.id) : row.ownerPid !== null && processAlive(row.ownerPid))
    return 'running';
  if (record && record.status !== 'running') return record.status;
  return 'interrupted';
}

/** The headline test metric of a record: accuracy, mean foreground Dice, mAP@0.5, or the equal error rate (lower is better). */
function testMetric(record: RunRecord | null): RunSummary['test'] {
  const report = record?.evaluation;
  if (!report) return null;
  switch (report.task) {
    case 'classification':
      return { metric: 'accuracy', value: report.accuracy };
    case 'segmentation':
      return report.meanDice === null ? null : { metric: 'dice', value: report.meanDice };
    case 'detection':
      return report.mAP50 === null ? null : { metric: 'mAP50', value: report.mAP50 };
    case 'verification':
      return report.eer === null ? null : { metric: 'EER', value: report.eer };
  }
}

export function summaryOf(row: RunRow, record: RunRecord | null, state: RunState, active: boolean): RunSummary {
  const config = record?.config ?? row.config;
  return {
    runId: row.id,
    taskId: row.taskId,
    taskName: row.taskName,
    kind: row.kind,
    state,
    architecture: config.model.architecture,
    epochsDone: record?.epochs.length ?? 0,
    epochs: config.epochs,
    best: record?.best ?? null,
    test: testMetric(record),
    threads: record?.environment.threads ?? null,
    engine: record
      ? {
          backend: record.environment.backend,
          device: record.environment.device ?? null,
          trainImagesPerSecond: record.epochs.at(-1)?.trainImagesPerSecond ?? null,
        }
      : null,
    error: row.error ?? record?.error ?? null,
    active,
    createdAt: row.createdAt,
    updatedAt: record && record.updatedAt > row.updatedAt ? record.updatedAt : row.updatedAt,
  };
}
