/**
 * A completed run's model scored on one split of its task as labelled now, through the engine's
 * evaluate method: the metrics, and every image's prediction under its workspace id and path. The
 * split is the one the run trained with unless the caller asks for the current one (evaluation-split.ts).
 */
import { existsSync } from 'node:fs';
import { LoupeError, type ReplyOf, type SplitName, type SplitSource } from '../../../contract/index';
import { runFile } from '../../../base/run-files';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { Workspace } from '../workspace/workspace';
import { evaluationSplit } from './evaluation-split';
import { RunStore } from './run-store';
import { buildTaskDataset } from './task-dataset';

export interface EvaluateRunArgs {
  ws: Workspace;
  engine: EngineSupervisor;
  runId: string;
  split: SplitName;
  /** The run's own split (its snapshot) or the task's current one. */
  splitSource: SplitSource;
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
  const record = await store.record(args.runId);
  const { samples, leakage } = evaluationSplit(args.ws.db, {
    taskId: row.taskId,
    runId: args.runId,
    split: args.split,
    source: args.splitSource,
    samples: built.dataset.samples,
    snapshot: record?.dataset.splits ?? null,
  });
  if (samples.length === 0) {
    const which =
      args.splitSource === 'run'
        ? `the ${args.split} split run ${args.runId} trained with`
        : `its current ${args.split} split`;
    const why = leakage.warnings.length ? ` (${leakage.warnings.join(' ')})` : '';
    throw new LoupeError('INVALID_REQUEST', `“${built.task.name}” has no labelled image to score in ${which}${why}.`);
  }
  const inSplit = new Set(samples.map((s) => s.id));
  // A labelled pair is scored only when both its images are: one left out would bring its partner's score along.
  const pairs = built.dataset.pairs?.filter((p) => inSplit.has(p.a) && inSplit.has(p.b));
  const reply = await args.engine.call(
    'evaluate',
    { modelDir, dataset: { ...built.dataset, samples, ...(pairs ? { pairs } : {}) }, split: args.split },
    { signal: args.signal, onProgress: (p) => args.progress(p.done, p.total) },
  );
  const imageIdOf = (id: string): number => built.images.get(id)!.imageId;
  // A frame sample of a multi-frame image (task frames 'all') is not its image's own sample.
  const frames = new Map(
    samples.flatMap((s) =>
      'frameIndex' in s.image && s.id !== String(imageIdOf(s.id)) ? [[s.id, s.image.frameIndex]] : [],
    ),
  );
  const frameOf = (id: string): number | undefined => frames.get(id);
  return {
    runId: args.runId,
    split: args.split,
    report: reply.report,
    predictions: reply.predictions.map(({ id, prediction }) => {
      const image = built.images.get(id)!;
      const frame = frameOf(id);
      return { imageId: image.imageId, path: image.path, ...(frame === undefined ? {} : { frame }), prediction };
    }),
    ...(reply.pairs
      ? { pairs: reply.pairs.map(({ a, b, ...rest }) => ({ imageA: imageIdOf(a), imageB: imageIdOf(b), ...rest })) }
      : {}),
    dataset: built.report,
    leakage,
  };
}
