/**
 * A workspace with a completed classification run to review: synthetic scans imported, tagged
 * normal / lesion and split (scan-workspace.ts), and a tiny CNN trained for one epoch. It checks
 * the review path, not how well the model learns (the engine's quality tests do that).
 */
import path from 'node:path';
import type { TrainingConfigInput } from '../../contract/index';
import { importScans, labelClassification, type Call, type ScanWorkspace } from './scan-workspace';

/** Enough scans for every split to hold images of both classes. */
const SCANS = 40;
/** A run that finishes in seconds on a shared CPU. */
const TINY_RUN: Pick<TrainingConfigInput, 'epochs' | 'batchSize' | 'model'> = {
  epochs: 1,
  batchSize: 8,
  model: { architecture: 'small-cnn', filters: [4, 8] },
};

export interface ReviewWorkspace {
  scans: ScanWorkspace;
  taskId: number;
  runId: string;
}

/** Fills the open workspace; `dir` holds the scan files. The review benchmark asks for larger scans. */
export async function reviewWorkspace(
  call: Call,
  dir: string,
  { count = SCANS, size = 24 }: { count?: number; size?: number } = {},
): Promise<ReviewWorkspace> {
  const scans = await importScans(call, path.join(dir, 'scans'), { count, size, seed: 17 });
  const taskId = await labelClassification(call, scans);
  const defaults = await call('training.defaults', { taskId });
  const run = await call('training.start', { taskId, config: { ...defaults.config, ...TINY_RUN } });
  const finished = await call('training.watch', { runId: run.runId });
  if (finished.state !== 'completed') throw new Error(`run ${run.runId} ${finished.state}: ${finished.error ?? ''}`);
  return { scans, taskId, runId: run.runId };
}
