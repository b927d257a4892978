/**
 * A run's exports compared on the run's test split as labelled now (the train split when the test
 * split is empty, as the export's parity check does): the engine scores and times each ONNX file,
 * and each row carries the parity its bundle card recorded at export.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LoupeError, type ComparisonSource, type ExportComparison } from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { Workspace } from '../workspace/workspace';
import { RunStore } from './run-store';
import { runExports, type OnnxBundle } from './run-exports';
import { compressedRunsOf } from './compressed-runs';
import { buildTaskDataset } from './task-dataset';

export interface CompareRunExportsArgs {
  ws: Workspace;
  engine: EngineSupervisor;
  runId: string;
  signal: AbortSignal;
  progress(done: number, total: number): void;
}

export async function compareRunExports(args: CompareRunExportsArgs): Promise<ExportComparison> {
  const store = new RunStore(args.ws);
  const row = store.require(args.runId);
  const runDir = store.folder(args.runId);
  const modelDir = runFile(runDir, 'model');
  if (!existsSync(modelDir))
    throw new LoupeError('NOT_FOUND', `Run ${args.runId} has no model folder; only a completed run has exports.`);
  const { onnx } = await runExports(runDir);
  if (onnx.length === 0)
    throw new LoupeError(
      'NOT_FOUND',
      `Run ${args.runId} has no ONNX export on disk to compare; export it first (ONNX fp32 and/or int8).`,
    );
  if (row.taskId === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The task run ${args.runId} trained on was deleted; there are no labelled images to compare the exports on.`,
    );
  const built = await buildTaskDataset(args.ws, row.taskId, { signal: args.signal, kind: row.kind });
  const test = built.dataset.samples.filter((s) => s.split === 'test');
  const split = test.length > 0 ? 'test' : 'train';
  const samples = test.length > 0 ? test : built.dataset.samples.filter((s) => s.split === 'train');
  if (samples.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${built.task.name}” has no labelled image in its test or train split to compare the exports on.`,
    );
  const parent = await store.record(args.runId);
  const compressed = parent ? await compressedRunsOf(store, parent) : { runs: [], skipped: [] };
  const thisRun: ComparisonSource = { kind: 'this run', runId: args.runId, detail: '' };
  const compared: { source: ComparisonSource; bundle: OnnxBundle }[] = [
    ...onnx.map((bundle) => ({ source: thisRun, bundle })),
    ...compressed.runs.flatMap((run) => run.bundles.map((bundle) => ({ source: run.source, bundle }))),
  ];
  const inSplit = new Set(samples.map((s) => s.id));
  const pairs = built.dataset.pairs?.filter((p) => inSplit.has(p.a));
  const reply = await args.engine.call(
    'compareExports',
    {
      modelDir,
      variants: compared.map(({ bundle: e }) => ({
        format: e.format,
        precision: e.precision,
        modelFile: path.join(e.outDir, e.modelFile),
        preprocessingBaked: e.preprocessingBaked,
      })),
      dataset: { ...built.dataset, samples, ...(pairs ? { pairs } : {}) },
      split,
    },
    { signal: args.signal, onProgress: (p) => args.progress(p.done, p.total) },
  );
  return {
    runId: args.runId,
    split,
    metric: reply.metric,
    loupeMetric: reply.loupeMetric,
    images: reply.images,
    runtime: reply.runtime,
    rows: reply.rows.map(({ modelFile: _, ...measured }, i) => {
      const { source, bundle } = compared[i]!;
      const { outDir, parity } = bundle;
      return {
        source,
        ...measured,
        outDir,
        parity: {
          split: parity.split,
          images: parity.images,
          maxAbsDiff: parity.maxAbsDiff,
          samePredictions: parity.samePredictions,
        },
      };
    }),
    skipped: compressed.skipped,
  };
}
