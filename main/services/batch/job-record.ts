/**
 * A batch job's record in its workspace: `batches/<jobId>.json`, one small file per job, written
 * atomically at every change of state. The results themselves stay in the job's output folder;
 * the record says what was asked and who is predicting it, so a restart can tell an unfinished
 * job (interrupted, resumable) from one another Loupe is still running.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  batchJobIdSchema,
  LoupeError,
  type BatchJob,
  type BatchJobState,
  type PredictRuntime,
} from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';

export const JOBS_FOLDER = 'batches';

export interface JobRecord {
  format: 'loupe-batch-job';
  version: 1;
  jobId: string;
  model: BatchJob['model'];
  task: BatchJob['task'];
  classes: string[];
  inputs: string[];
  out: string;
  formats: BatchJob['formats'];
  threshold: number | null;
  /** Absent in records of versions before the Batch section offered them: none. */
  gallery?: BatchJob['gallery'];
  explain?: BatchJob['explain'];
  state: Exclude<BatchJobState, 'interrupted'> | 'interrupted';
  error: string | null;
  /** The process predicting it while `state` is running. */
  ownerPid: number | null;
  total: number | null;
  finished: number;
  failed: number;
  /** Files per second of the last session, once it ended (null before, or if it predicted none). */
  imagesPerSecond?: number | null;
  /** What ran the model in the latest session that predicted (absent in records of older versions). */
  runtime?: PredictRuntime | null;
  createdAt: string;
  updatedAt: string;
}

export function newJobId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `batch-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The record's file; the id is checked so no caller string can point elsewhere. */
export function recordFile(root: string, jobId: string): string {
  return path.join(root, JOBS_FOLDER, `${batchJobIdSchema.parse(jobId)}.json`);
}

export async function writeRecord(root: string, record: JobRecord): Promise<void> {
  await fs.mkdir(path.join(root, JOBS_FOLDER), { recursive: true });
  await writeFileAtomic(recordFile(root, record.jobId), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readRecord(root: string, jobId: string): Promise<JobRecord> {
  const text = await fs.readFile(recordFile(root, jobId), 'utf8').catch(() => null);
  if (text === null) throw new LoupeError('NOT_FOUND', `There is no batch job ${jobId} in this workspace.`);
  return JSON.parse(text) as JobRecord;
}

/** Every job of a workspace, newest first; a record that cannot be read is skipped (it names no job to show). */
export async function listRecords(root: string): Promise<JobRecord[]> {
  const names = await fs.readdir(path.join(root, JOBS_FOLDER)).catch(() => [] as string[]);
  const records: JobRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || !batchJobIdSchema.safeParse(name.slice(0, -5)).success) continue;
    try {
      const record = JSON.parse(await fs.readFile(path.join(root, JOBS_FOLDER, name), 'utf8')) as JobRecord;
      if (record.format === 'loupe-batch-job') records.push(record);
    } catch {
      continue;
    }
  }
  return records.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** What a record tells every window as it is; state, counts and speed are worked out by the jobs service. */
export function publicOf(
  record: JobRecord,
): Omit<BatchJob, 'state' | 'active' | 'finished' | 'failed' | 'imagesPerSecond' | 'etaMs'> {
  return {
    jobId: record.jobId,
    model: record.model,
    task: record.task,
    classes: record.classes,
    inputs: record.inputs,
    out: record.out,
    formats: record.formats,
    threshold: record.threshold,
    gallery: record.gallery ?? null,
    explain: record.explain ?? null,
    error: record.error,
    total: record.total,
    runtime: record.runtime ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
