/**
 * What the engine-level quality tests share: a model trained once through the engine's train
 * method (the code path the UI and CLI reach through the worker) in a temporary folder, timed and
 * logged, with its model folder and card for the tests that use it afterwards.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainRequestSchema, type ModelCard, type RunRecord, type TrainingConfigInput } from '../../contract/index';
import { engineHandlers } from '../../ml/methods/index';
import { readModelCard } from '../../base/model-folder-files';
import { startTrainingBackend } from './training-backend';

/** Training on a shared 2-core machine; each quality run normally takes about a minute. */
export const TRAINING_TIMEOUT_MS = 600_000;

/** A call context for engine handlers: never cancelled, progress ignored. */
export const engineContext = () => ({ signal: new AbortController().signal, progress: () => {} });

export interface TrainedModel {
  /** The temporary folder holding the run (remove it after the tests). */
  root: string;
  modelDir: string;
  record: RunRecord;
  card: ModelCard;
}

/**
 * Trains `config` on `dataset` in a fresh temporary folder and logs how long it took on which
 * backend, with `describeEpochs` of the record when given.
 */
export async function trainForQuality(
  name: string,
  dataset: unknown,
  config: TrainingConfigInput,
  describeEpochs?: (record: RunRecord) => string,
): Promise<TrainedModel> {
  const backend = await startTrainingBackend();
  const root = mkdtempSync(path.join(os.tmpdir(), `loupe-${name.replace(/\W+/g, '-')}-`));
  const runDir = path.join(root, 'run');
  const started = performance.now();
  const record = await engineHandlers.train(trainRequestSchema.parse({ runDir, dataset, config }), engineContext());
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `[quality] ${name} trained in ${seconds} s on ${backend} (${record.environment.backend})${describeEpochs ? `; ${describeEpochs(record)}` : ''}`,
  );
  const modelDir = path.join(runDir, 'model');
  return { root, modelDir, record, card: await readModelCard(modelDir) };
}
