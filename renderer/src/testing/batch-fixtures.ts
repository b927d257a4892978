/** The Batch section's store tests' runs, jobs and results pages. */
import type { BatchJob, ReplyOf, RunSummary } from '../../../contract/index';

export const RUN_ID = 'run-20260101-000000-abcd';
export const RUN = {
  runId: RUN_ID,
  taskId: 5,
  taskName: 'Lesion',
  kind: 'classification',
  state: 'completed',
  architecture: 'small-cnn',
  createdAt: '2026-01-01T00:00:00Z',
} as RunSummary;
export const job = (over: Partial<BatchJob> = {}): BatchJob => ({
  jobId: 'batch-20260101-000000-abcd',
  model: { runId: RUN_ID },
  task: 'classification',
  classes: ['normal', 'lesion'],
  inputs: ['/scans'],
  out: '/out',
  formats: ['csv', 'jsonl'],
  threshold: null,
  gallery: null,
  explain: null,
  state: 'running',
  active: true,
  error: null,
  total: 100,
  finished: 10,
  failed: 0,
  imagesPerSecond: 5,
  etaMs: 18_000,
  runtime: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});
export const results = (over: Partial<ReplyOf<'batch.results'>> = {}): ReplyOf<'batch.results'> => ({
  jobId: job().jobId,
  all: 10,
  matching: 10,
  rows: [],
  histogram: new Array<number>(20).fill(0),
  classCounts: [{ name: 'lesion', count: 10 }],
  imageIds: [1, 2, 3],
  outside: [],
  ...over,
});
