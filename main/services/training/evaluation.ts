/**
 * A completed run's model scored on one split of its task as labelled now, through the engine's
 * evaluate method: the metrics, and every image's prediction under its workspace id and path.
 */
import { existsSync } from 'node:fs';
import { LoupeError, type ReplyOf, type SplitName } from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { Workspace } from '../workspace/workspace';
import { RunStore } from './run-store';
import { buildTaskDataset } from './task-dataset';

export interface EvaluateRunArgs {
  ws: Workspace;
  engine: EngineSupervisor;
  runId: string;
  split: SplitName;
  signal: AbortSignal;
  progress(done: number, total: number): void;
}

export async function evaluateRun(args: EvaluateRunArgs): Promise<ReplyOf<'training.evaluate'>> {
  const store = new RunStore(args.ws);
  const row = store.require(args.runId);
  const modelDir = runFile(store.folder(args.runId), 'model');
  if (!existsSync(modelDir))
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${args.runId} has no model yet; only a completed run can be evaluated.`,
    );
  if (row.taskId === null)
    throw new LoupeError(
      'INVALID_REQUEST',
      `The task run ${args.runId} trained on was deleted; there are no labels to score it against.`,
    );
  const built = await buildTaskDataset(args.ws, row.taskId, { signal: args.signal, kind: row.kind });
  const samples = built.dataset.samples.filter((s) => s.split === args.split);
  if (samples.length === 0)
    throw new LoupeError('INVALID_REQUEST', `“${built.task.name}” has no labelled image in the ${args.split} split.`);
  const inSplit = new Set(samples.map((s) => s.id));
  const pairs = built.dataset.pairs?.filter((p) => inSplit.has(p.a));
  const reply = await args.engine.call(
    'evaluate',
    { modelDir, dataset: { ...built.dataset, samples, ...(pairs ? { pairs } : {}) }, split: args.split },
    { signal: args.signal, onProgress: (p) => args.progress(p.done, p.total) },
  );
  const imageIdOf = (id: string): number => built.images.get(id)!.imageId;
  return {
    runId: args.runId,
    split: args.split,
    report: reply.report,
    predictions: reply.predictions.map(({ id, prediction }) => {
      const image = built.images.get(id)!;
      return { imageId: image.imageId, path: image.path, prediction };
    }),
    ...(reply.pairs
      ? { pairs: reply.pairs.map(({ a, b, ...rest }) => ({ imageA: imageIdOf(a), imageB: imageIdOf(b), ...rest })) }
      : {}),
    dataset: built.report,
  };
}
