/**
 * A distillation run's teacher as the engine takes it: the named run must be a completed
 * classification run of this workspace; its model folder is filled in so the engine never
 * handles run ids. Classes and preprocessing are compared by the engine against the prepared
 * dataset, where the resolved preprocessing is known.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LoupeError, type TrainingConfig } from '../../../contract/index';
import { MODEL_CARD } from '../../../base/model-folder-files';
import { runFile } from '../../../base/run-files';
import type { RunStore } from './run-store';

export async function resolveDistillTeacher(store: RunStore, config: TrainingConfig): Promise<TrainingConfig> {
  const distill = config.distill;
  if (!distill) return config;
  if (config.task !== 'classification')
    throw new LoupeError('INVALID_REQUEST', `Distillation is for classification runs; this run trains ${config.task}.`);
  const row = store.require(distill.teacherRunId);
  if (row.kind !== 'classification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${distill.teacherRunId} trained a ${row.kind} model; a teacher must be a classification run.`,
    );
  const record = await store.record(distill.teacherRunId).catch(() => null);
  const dir = runFile(store.folder(distill.teacherRunId), 'model');
  if (record?.status !== 'completed' || !existsSync(path.join(dir, MODEL_CARD)))
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${distill.teacherRunId} has not completed (${record?.status ?? row.state}); only a completed run can teach.`,
    );
  return { ...config, distill: { ...distill, teacherDir: dir } };
}
