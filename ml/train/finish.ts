/**
 * The end of a run: the best epoch's weights evaluated on the test split, then exported as a
 * model folder with its model card, and the run record marked completed.
 */
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ModelCard, RunRecord } from '../../contract/index';
import { throwIfCancelled } from '../engine/runtime';
import { saveModelFolder } from '../model-io/model-folder';
import { readCheckpoint } from './checkpoint';
import { evaluateSamples } from './evaluate';
import type { TrainingHooks } from './loop';
import { writeWeights } from './parameters';
import { runFile, writeRunRecord } from './run-files';
import { WEIGHT_PREFIX, type TrainingSession } from './session';

export async function finishRun(session: TrainingSession, runDir: string, record: RunRecord, hooks: TrainingHooks, batchSize: number): Promise<RunRecord> {
  const { config, data, run } = session;
  throwIfCancelled(hooks.signal);
  const progress = (phase: 'evaluating' | 'saving', done: number, total: number): void =>
    hooks.progress({
      phase,
      epoch: Math.max(0, record.epochs.length - 1),
      epochs: config.epochs,
      batch: done,
      batches: total,
      loss: null,
      metric: null,
      learningRate: null,
      elapsedMs: 0,
      batchesDone: done,
      batchesTotal: total,
      etaMs: null,
    });
  const bestFile = runFile(runDir, 'bestWeights');
  const hasBest = await fs.access(bestFile).then(
    () => true,
    () => false,
  );
  if (hasBest) {
    const best = await readCheckpoint<{ epoch: number }>(bestFile);
    writeWeights(run.model, best.arrays.map((a) => ({ ...a, name: a.name.slice(WEIGHT_PREFIX.length) })));
  }
  let evaluation: RunRecord['evaluation'] = null;
  if (data.splits.test.length > 0) {
    const outcome = await evaluateSamples(run.model, data.splits.test, {
      task: config.task,
      classes: data.classes,
      spec: data.spec,
      split: 'test',
      batchSize,
      signal: hooks.signal,
      onBatch: (done, total) => progress('evaluating', done, total),
    });
    evaluation = outcome.report;
  }
  progress('saving', 0, 1);
  const modelDir = runFile(runDir, 'model');
  const card: ModelCard = {
    format: 'loupe-model',
    version: 1,
    task: config.task,
    classes: data.classes,
    model: run.modelConfig,
    input: { rows: data.spec.rows, columns: data.spec.columns, channels: data.spec.channels },
    output: { activation: run.model.outputs[0]!.shape.at(-1) === 1 ? 'sigmoid' : 'softmax' },
    preprocessing: data.spec,
    metrics: evaluation,
    dataset: {
      labelHash: data.snapshot.labelHash,
      datasetHash: data.snapshot.datasetHash,
      counts: { train: data.splits.train.length, val: data.splits.val.length, test: data.splits.test.length },
    },
    run: { runId: session.runId, seed: config.seed, bestEpoch: record.best?.epoch ?? null, epochsTrained: record.epochs.length },
    versions: { loupeModelFormat: 1, tfjs: tf.version.tfjs, backend: session.backend.backend, node: process.versions.node },
    createdAt: new Date().toISOString(),
  };
  await saveModelFolder(modelDir, run.model, card);
  const now = new Date().toISOString();
  const finished: RunRecord = { ...record, status: 'completed', evaluation, modelDir, updatedAt: now, finishedAt: now };
  await writeRunRecord(runDir, finished);
  progress('saving', 1, 1);
  return finished;
}
