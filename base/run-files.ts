/**
 * A run's folder: run.json (the run record), checkpoint-last.bin (state after the last finished
 * epoch), checkpoint-best.bin (weights of the best epoch) and model/ (the exported model).
 * Every file is written atomically.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError, describeIssues, runRecordSchema, type RunRecord } from '../contract/index';
import { writeFileAtomic } from './atomic-write';

export const RUN_FILES = {
  record: 'run.json',
  lastCheckpoint: 'checkpoint-last.bin',
  bestWeights: 'checkpoint-best.bin',
  model: 'model',
} as const;

export function runFile(runDir: string, name: keyof typeof RUN_FILES): string {
  return path.join(runDir, RUN_FILES[name]);
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(runFile(runDir, 'record'), JSON.stringify(runRecordSchema.parse(record), null, 2));
}

/** The run record of a folder, or null when the folder holds none. */
export async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  let raw: string;
  try {
    raw = await fs.readFile(runFile(runDir, 'record'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LoupeError('IO_ERROR', `Could not read ${runFile(runDir, 'record')}: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof runRecordSchema.safeParse>;
  try {
    parsed = runRecordSchema.safeParse(JSON.parse(raw));
  } catch {
    throw new LoupeError('INVALID_REQUEST', `${runFile(runDir, 'record')} is not valid JSON.`);
  }
  if (!parsed.success)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${runFile(runDir, 'record')} is not a Loupe run record: ${describeIssues(parsed.error.issues)}`,
    );
  return parsed.data;
}
