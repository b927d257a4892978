/**
 * A completed run's model exported into a bundle folder through the engine's export method,
 * checked on the run's test split as labelled now (the train split when the test split is empty);
 * int8 exports are calibrated on the training split.
 */
import { existsSync } from 'node:fs';
import { LoupeError, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { Workspace } from '../workspace/workspace';
import { RunStore } from './run-store';
import { buildTaskDataset } from './task-dataset';

export interface ExportRunArgs {
  ws: Workspace;
  engine: EngineSupervisor;
  request: ParsedRequestOf<'training.export'>;
  signal: AbortSignal;
  progress(done: number, total: number): void;
}

export async function exportRun(args: ExportRunArgs): Promise<ReplyOf<'training.export'>> {
  const { request } = args;
  const store = new RunStore(args.ws);
  const row = store.require(request.runId);
  if (row.state !== 'completed')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${request.runId} is ${row.state}; only a completed run can be exported.`,
    );
  const modelDir = runFile(store.folder(request.runId), 'model');
  if (!existsSync(modelDir))
    throw new LoupeError('NOT_FOUND', `Run ${request.runId} has no model folder (${modelDir}); train it again.`);
  // Refused here too, before any image is decoded: the engine checks again just before writing.
  if (existsSync(request.outDir) && !request.force)
    throw new LoupeError(
      'CONFLICT',
      `${request.outDir} already exists; choose another folder or pass --force to replace it.`,
    );
  if (row.taskId === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The task run ${request.runId} trained on was deleted; there are no images to check the export on.`,
    );
  const built = await buildTaskDataset(args.ws, row.taskId, { signal: args.signal, kind: row.kind });
  const test = built.dataset.samples.filter((s) => s.split === 'test');
  const train = built.dataset.samples.filter((s) => s.split === 'train');
  const split = test.length > 0 ? 'test' : 'train';
  if (test.length + train.length === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${built.task.name}” has no labelled image in its test or train split to check the export on.`,
    );
  // The test split checks the export; int8 calibrates on the training split.
  const samples = request.format.endsWith('-int8') ? [...test, ...train] : split === 'test' ? test : train;
  const { pairs: _, ...dataset } = built.dataset;
  return args.engine.call(
    'export',
    {
      modelDir,
      outDir: request.outDir,
      format: request.format,
      preprocessing: request.preprocessing,
      force: request.force,
      calibration: request.calibration,
      calibrationMethod: request.calibrationMethod,
      gallery: request.gallery,
      dataset: { ...dataset, samples },
      split,
    },
    { signal: args.signal, onProgress: (p) => args.progress(p.done, p.total) },
  );
}
