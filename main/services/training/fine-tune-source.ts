/**
 * A run's fine-tuning source as the engine takes it. The UI and the CLI may name a completed run
 * of this workspace (`{ kind: 'run', runId }`); it becomes that run's model folder, recorded with
 * its run id. Every source is checked here, before the run is created, so a wrong choice is a
 * refusal the user reads at once rather than a run that fails on its first line.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { LoupeError, type TrainingConfig } from '../../../contract/index';
import { MODEL_CARD } from '../../../base/model-folder-files';
import { runFile } from '../../../base/run-files';
import type { RunStore } from './run-store';

export async function resolveFineTuneSource(store: RunStore, config: TrainingConfig): Promise<TrainingConfig> {
  const fineTune = config.fineTune;
  if (!fineTune) return config;
  const from = fineTune.from;
  switch (from.kind) {
    case 'run': {
      const row = store.require(from.runId);
      if (row.kind !== config.task) {
        throw new LoupeError(
          'INVALID_REQUEST',
          `Run ${from.runId} trained a ${row.kind} model; a ${config.task} run fine-tunes from a ${config.task} model.`,
        );
      }
      const record = await store.record(from.runId).catch(() => null);
      const dir = runFile(store.folder(from.runId), 'model');
      if (record?.status !== 'completed' || !existsSync(path.join(dir, MODEL_CARD))) {
        throw new LoupeError(
          'INVALID_REQUEST',
          `Run ${from.runId} has not completed (${record?.status ?? row.state}); only a completed run's model can be fine-tuned.`,
        );
      }
      return { ...config, fineTune: { ...fineTune, from: { kind: 'loupe-model', dir, runId: from.runId } } };
    }
    case 'loupe-model':
      if (!existsSync(path.join(from.dir, MODEL_CARD))) {
        throw new LoupeError('NOT_FOUND', `${from.dir} is not a Loupe model folder (it has no ${MODEL_CARD}).`);
      }
      return config;
    case 'tfjs-layers':
      if (!existsSync(from.modelJson) || !statSync(from.modelJson).isFile()) {
        throw new LoupeError('NOT_FOUND', `There is no model file at ${from.modelJson}.`);
      }
      return config;
  }
}
