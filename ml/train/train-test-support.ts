/**
 * What the training-loop tests share (ml/train/training.test.ts for classification and
 * segmentation, task-kinds.test.ts for detection and verification). Used only by *.test.ts files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { optimizerConfigSchema, trainRequestSchema, type RunRecord, type TrainingProgress } from '../../contract/index';
import { createOptimizer } from '../optim/optimizers';
import { resolveLoss, type LossSpec } from '../parallel/loss-registry';
import type { TrainStepContext } from './train-step';

type TrainRequest = ReturnType<typeof trainRequestSchema.parse>;
type TrainContext = { signal: AbortSignal; progress: (p: TrainingProgress) => void };
export type Train = (
  payload: object,
  onProgress?: (p: TrainingProgress, controller: AbortController) => void,
) => Promise<RunRecord>;

/** A train call whose progress callback can cancel the run it watches. */
export function trainer(run: (request: TrainRequest, context: TrainContext) => Promise<RunRecord>): Train {
  return (payload, onProgress = () => {}) => {
    const controller = new AbortController();
    return run(trainRequestSchema.parse(payload), {
      signal: controller.signal,
      progress: (p) => onProgress(p, controller),
    });
  };
}

/** The engine's step context for every trainable weight of `model` at full rate, with Adam (its defaults). */
export function adamStepContext(model: tf.LayersModel, loss: LossSpec, learningRate = 1e-3): TrainStepContext {
  return {
    model,
    loss: resolveLoss(loss),
    parameters: model.trainableWeights.map((w) => ({
      name: w.name,
      variable: w.read() as tf.Variable,
      learningRateFactor: 1,
    })),
    optimizer: createOptimizer(optimizerConfigSchema.parse({ name: 'adam' })),
    learningRate,
  };
}

export const weightsOf = (runDir: string): Buffer => readFileSync(path.join(runDir, 'model', 'weights.bin'));

/** A run's per-epoch records without their wall-clock durations (which no two runs share). */
export const epochsWithoutDurations = (record: RunRecord) =>
  record.epochs.map(({ durationMs: _, trainImagesPerSecond: _rate, ...e }) => e);

/**
 * Starts a run, cancels it at the first batch of epoch 1 (the second epoch), and checks it stopped
 * within that batch, recorded as cancelled after one finished epoch. Returns the record left.
 */
export async function cancelInSecondEpoch(
  train: Train,
  payload: { runDir: string; [field: string]: unknown },
): Promise<RunRecord> {
  let batchesAfterCancel = -1;
  const cancelled = train(payload, (p, controller) => {
    if (controller.signal.aborted && p.phase === 'training') batchesAfterCancel++;
    if (p.phase === 'training' && p.epoch === 1 && p.batch === 1 && !controller.signal.aborted) {
      batchesAfterCancel = 0;
      controller.abort();
    }
  });
  await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
  expect(batchesAfterCancel).toBe(0);
  const interrupted = JSON.parse(readFileSync(path.join(payload.runDir, 'run.json'), 'utf8')) as RunRecord;
  expect([interrupted.status, interrupted.epochs.length]).toEqual(['cancelled', 1]);
  return interrupted;
}
