/**
 * The end of a run: the best epoch's weights evaluated on the test split, then exported as a
 * model folder with its model card, and the run record marked completed. A verification run
 * first chooses its decision threshold on the validation split, so the test split measures a
 * threshold it had no say in.
 */
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type ModelCard, type RunRecord, type VerificationDecision } from '../../contract/index';
import { throwIfCancelled } from '../worker/runtime';
import { saveModelFolder } from '../model-io/model-folder';
import { readCheckpoint } from './checkpoint';
import { teacherMetrics } from './compression';
import { evaluateSplit, trainingContext, type EvaluationContext } from './tasks/evaluation';
import type { TrainingHooks } from './loop';
import { writeWeights } from './parameters';
import { runFile, writeRunRecord } from '../../base/run-files';
import { WEIGHT_PREFIX, type TrainingSession } from './session';

export async function finishRun(
  session: TrainingSession,
  runDir: string,
  record: RunRecord,
  hooks: TrainingHooks,
  batchSize: number,
): Promise<RunRecord> {
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
    writeWeights(
      run.model,
      best.arrays.map((a) => ({ ...a, name: a.name.slice(WEIGHT_PREFIX.length) })),
    );
  }
  const context = trainingContext(config, data);
  let verification: VerificationDecision | undefined;
  if (context.verification) {
    verification = await chooseThreshold(session, context, batchSize, hooks.signal, (done, total) =>
      progress('evaluating', done, total),
    );
    context.verification = { targetFar: verification.targetFar, threshold: verification.threshold };
  }
  let evaluation: RunRecord['evaluation'] = null;
  if (data.splits.test.length > 0) {
    const outcome = await evaluateSplit(run.model, data, 'test', context, {
      batchSize,
      signal: hooks.signal,
      onBatch: (done, total) => progress('evaluating', done, total),
    });
    evaluation = outcome.report;
  }
  const teacher = await teacherMetrics(session.compression, data, context, { batchSize, signal: hooks.signal });
  progress('saving', 0, 1);
  const modelDir = runFile(runDir, 'model');
  const speed = record.epochs.at(-1)?.trainImagesPerSecond;
  const card: ModelCard = {
    format: 'loupe-model',
    version: 1,
    task: config.task,
    classes: data.classes,
    model: run.modelConfig,
    input: { rows: data.spec.rows, columns: data.spec.columns, channels: data.spec.channels },
    output: { activation: outputActivation(config.task, run.model.outputs[0]!.shape.at(-1)) },
    preprocessing: data.spec,
    metrics: evaluation,
    dataset: {
      labelHash: data.snapshot.labelHash,
      datasetHash: data.snapshot.datasetHash,
      counts: { train: data.splits.train.length, val: data.splits.val.length, test: data.splits.test.length },
    },
    run: {
      runId: session.runId,
      seed: config.seed,
      bestEpoch: record.best?.epoch ?? null,
      epochsTrained: record.epochs.length,
    },
    versions: {
      loupeModelFormat: 1,
      tfjs: tf.version.tfjs,
      backend: session.backend,
      node: process.versions.node,
      ...(record.environment.device ? { device: record.environment.device } : {}),
      ...(speed !== undefined ? { trainImagesPerSecond: speed } : {}),
    },
    createdAt: new Date().toISOString(),
    ...(context.detection ? { detection: context.detection } : {}),
    ...(verification ? { verification } : {}),
  };
  await saveModelFolder(modelDir, run.model, card);
  const now = new Date().toISOString();
  const finished: RunRecord = {
    ...record,
    status: 'completed',
    evaluation,
    modelDir,
    ...(teacher ? { teacher } : {}),
    updatedAt: now,
    finishedAt: now,
  };
  await writeRunRecord(runDir, finished);
  progress('saving', 1, 1);
  return finished;
}

function outputActivation(
  task: ModelCard['task'],
  channels: number | null | undefined,
): ModelCard['output']['activation'] {
  if (task === 'detection') return 'centernet';
  if (task === 'verification') return 'l2-normalized';
  return channels === 1 ? 'sigmoid' : 'softmax';
}

/**
 * The decision threshold with the highest TAR at FAR ≤ the target, on the validation split; on
 * the training split (recorded as such) only when validation lacks same or different pairs.
 */
async function chooseThreshold(
  session: TrainingSession,
  context: EvaluationContext,
  batchSize: number,
  signal: AbortSignal,
  onBatch: (done: number, total: number) => void,
): Promise<VerificationDecision> {
  const { data, run } = session;
  const targetFar = context.verification!.targetFar;
  for (const split of ['val', 'train'] as const) {
    if (data.splits[split].length === 0) continue;
    const { report } = await evaluateSplit(
      run.model,
      data,
      split,
      { ...context, verification: { targetFar, threshold: null } },
      { batchSize, signal, onBatch },
    );
    if (report.task !== 'verification' || report.decision.threshold === null) continue;
    return {
      similarity: 'cosine',
      embeddingDim: run.model.outputs[0]!.shape.at(-1) as number,
      threshold: report.decision.threshold,
      targetFar,
      chosenOn: split,
      far: report.decision.far!,
      tar: report.decision.tar!,
      genuinePairs: report.genuinePairs,
      impostorPairs: report.impostorPairs,
    };
  }
  throw new LoupeError(
    'INVALID_REQUEST',
    'Neither the validation nor the training split has both same and different pairs, so no decision threshold can be chosen.',
  );
}
