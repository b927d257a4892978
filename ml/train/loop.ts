/**
 * The training loop (a custom loop, not model.fit): epochs of seeded, augmented batches through
 * one replaceable `trainStep` (epoch-steps.ts, one step in flight), a validation pass per epoch, an atomic checkpoint per epoch,
 * then the best weights evaluated on the test split and exported as a model folder.
 * Cancel is checked between batches; progress is reported after each batch and each epoch.
 */
import {
  LoupeError,
  type EpochRecord,
  type RunRecord,
  type TrainingProgress,
  type TrainRequest,
} from '../../contract/index';
import type { FrameReader } from '../data/dataset';
import { writeCheckpoint } from './checkpoint';
import { finishRun } from './finish';
import { readWeights, trainableParameters } from './parameters';
import { newRunRecord } from './record';
import { runFile, writeRunRecord } from '../../base/run-files';
import { openSession, SLOT_PREFIX, WEIGHT_PREFIX, type CheckpointState, type TrainingSession } from './session';
import { evaluateSplit, trainingContext, validationMetrics } from './tasks/evaluation';
import type { TrainStep } from './train-step';
import { trainEpochBatches, type RunClock } from './epoch-steps';
import type { ThreadPlan } from '../parallel/thread-plan';

export interface TrainingHooks {
  signal: AbortSignal;
  progress(progress: TrainingProgress): void;
  /** Replaces the single-thread step (the data-parallel step plugs in here). */
  trainStep?: TrainStep;
  readFrame?: FrameReader;
  /** The threads `trainStep` computes gradients on, recorded in run.json. */
  threads?: ThreadPlan;
}

/** Evaluation batch size: inference needs no gradients, so larger batches are cheap. */
const EVALUATION_BATCH_SIZE = 32;

/** Layers frozen at an epoch: the last unfreeze step reached, else the initial freeze. */
export function frozenLayersAt(session: TrainingSession, epoch: number): number {
  const fineTune = session.config.fineTune;
  if (!fineTune) return 0;
  let frozen = fineTune.freezeLayers;
  for (const step of [...fineTune.unfreeze].sort((a, b) => a.epoch - b.epoch))
    if (step.epoch <= epoch) frozen = step.freezeLayers;
  return frozen;
}

export async function runTraining(request: TrainRequest, hooks: TrainingHooks): Promise<RunRecord> {
  hooks.progress(idleProgress('preparing', request.config?.epochs ?? 1));
  const session = await openSession(request, {
    signal: hooks.signal,
    ...(hooks.readFrame ? { readFrame: hooks.readFrame } : {}),
  });
  // The record as last written: the epoch loop advances it, a failure marks it.
  const state = { record: withThreads(newRunRecord(session), hooks.threads) };
  try {
    await writeRunRecord(request.runDir, state.record);
    if (!session.resumed?.trainingDone) await trainEpochs(session, request.runDir, state, hooks);
    return await finishRun(session, request.runDir, state.record, hooks, EVALUATION_BATCH_SIZE);
  } catch (error) {
    const cancelled = error instanceof LoupeError && error.code === 'CANCELLED';
    const record: RunRecord = {
      ...state.record,
      status: cancelled ? 'cancelled' : 'failed',
      updatedAt: new Date().toISOString(),
    };
    if (!cancelled)
      record.error =
        error instanceof LoupeError ? error.message : 'The run failed inside Loupe; the details are in the log.';
    await writeRunRecord(request.runDir, record).catch(() => {});
    throw error;
  } finally {
    await session.dispose();
  }
}

async function trainEpochs(
  session: TrainingSession,
  runDir: string,
  state: { record: RunRecord },
  hooks: TrainingHooks,
): Promise<void> {
  const { config, data, run, schedule, task, compression } = session;
  // A replacement step may split batches (the data-parallel one does); only a splittable task's can be,
  // and not under distillation, whose teacher outputs belong to the whole batch.
  const splittable = task.splittable && !compression.teacher;
  const replacement = splittable ? (hooks.trainStep ?? null) : null;
  const metricName = task.metricName;
  const batchesPerEpoch = task.batchesPerEpoch;
  const firstEpoch = session.resumed?.nextEpoch ?? 0;
  const clock: RunClock = {
    started: performance.now(),
    batchesDone: 0,
    batchesTotal: (config.epochs - firstEpoch) * batchesPerEpoch,
  };
  for (let epoch = firstEpoch; epoch < config.epochs; epoch++) {
    const epochStart = performance.now();
    const frozenLayers = frozenLayersAt(session, epoch);
    const parameters = trainableParameters(run.model, {
      frozenLayers,
      backboneFactor: config.fineTune?.backboneLearningRateFactor ?? 1,
      backboneLayers: run.backboneLayers,
    });
    if (parameters.length === 0) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `Every layer with weights is frozen in epoch ${epoch + 1}, so nothing would train; freeze fewer layers.`,
      );
    }
    const { lossSum, seen, metricSum, metricSeen, learningRate } = await trainEpochBatches(session, epoch, parameters, {
      hooks,
      replacement,
      clock,
    });
    const trainingMs = performance.now() - epochStart;
    let validation: Record<string, number> = {};
    if (data.splits.val.length > 0) {
      hooks.progress({
        ...idleProgress('validating', config.epochs),
        epoch,
        batches: batchesPerEpoch,
        batchesDone: clock.batchesDone,
        batchesTotal: clock.batchesTotal,
        elapsedMs: performance.now() - clock.started,
      });
      const outcome = await evaluateSplit(run.model, data, 'val', trainingContext(config, data), {
        batchSize: EVALUATION_BATCH_SIZE,
        loss: session.loss,
        signal: hooks.signal,
      });
      validation = validationMetrics(outcome);
    }
    const epochRecord: EpochRecord = {
      epoch,
      learningRate,
      trainLoss: lossSum / seen,
      trainMetric: metricSeen > 0 ? metricSum / metricSeen : null,
      validation,
      durationMs: performance.now() - epochStart,
      trainImagesPerSecond: trainingMs > 0 ? seen / (trainingMs / 1000) : 0,
      frozenLayers,
      ...(compression.pruner ? { sparsity: await compression.pruner.measuredSparsity() } : {}),
    };
    const monitored = validation[config.monitor.metric];
    schedule.endEpoch(monitored);
    // A pruning run's best and early stop count only epochs that end at the target sparsity.
    const atTarget = compression.pruner?.reachedTarget(epoch) ?? true;
    // Without the monitored metric (no validation split) the latest weights count as the best.
    const isBest = atTarget && (monitored === undefined ? true : session.best.update(epoch, monitored));
    const stopEarly =
      atTarget &&
      session.earlyStopping !== null &&
      monitored !== undefined &&
      !session.earlyStopping.update(epoch, monitored) &&
      session.earlyStopping.waited >= config.earlyStopping!.patience;
    const trainingDone = stopEarly || epoch === config.epochs - 1;
    const epochs = [...state.record.epochs, epochRecord];
    await saveCheckpoint(
      session,
      runDir,
      { nextEpoch: epoch + 1, trainingDone, stoppedEarly: stopEarly, epochs },
      isBest,
    );
    const best = session.best.best;
    state.record = {
      ...state.record,
      epochs,
      best: best ? { epoch: best.epoch, metric: config.monitor.metric, value: best.value } : null,
      stoppedEarly: stopEarly,
      updatedAt: new Date().toISOString(),
    };
    await writeRunRecord(runDir, state.record);
    const elapsedMs = performance.now() - clock.started;
    hooks.progress({
      phase: 'training',
      epoch,
      epochs: config.epochs,
      batch: batchesPerEpoch - 1,
      batches: batchesPerEpoch,
      loss: epochRecord.trainLoss,
      metric: epochRecord.trainMetric !== null ? { name: metricName, value: epochRecord.trainMetric } : null,
      learningRate,
      epochRecord,
      elapsedMs,
      batchesDone: clock.batchesDone,
      batchesTotal: clock.batchesTotal,
      etaMs: (elapsedMs / clock.batchesDone) * (clock.batchesTotal - clock.batchesDone),
    });
    if (stopEarly) break;
  }
}

/** Writes the best weights (when this epoch is the best) and then the full state, each atomically. */
async function saveCheckpoint(
  session: TrainingSession,
  runDir: string,
  progress: Pick<CheckpointState, 'nextEpoch' | 'trainingDone' | 'stoppedEarly' | 'epochs'>,
  isBest: boolean,
): Promise<void> {
  const weights = (await readWeights(session.run.model)).map((w) => ({ ...w, name: `${WEIGHT_PREFIX}${w.name}` }));
  if (isBest) await writeCheckpoint(runFile(runDir, 'bestWeights'), { epoch: progress.nextEpoch - 1 }, weights);
  const optimizer = await session.optimizer.snapshot();
  const state: CheckpointState = {
    runId: session.runId,
    ...progress,
    optimizer: {
      name: optimizer.name,
      steps: optimizer.steps,
      slots: optimizer.slots.map(({ parameter, slot }) => ({ parameter, slot })),
    },
    schedule: session.schedule.snapshot(),
    best: session.best.snapshot(),
    earlyStopping: session.earlyStopping?.snapshot() ?? null,
    datasetHash: session.data.snapshot.datasetHash,
  };
  const slots = optimizer.slots.map((s) => ({
    name: `${SLOT_PREFIX}${s.parameter}:${s.slot}`,
    shape: s.shape,
    values: s.values,
  }));
  await writeCheckpoint(runFile(runDir, 'lastCheckpoint'), state, [...weights, ...slots]);
}

function idleProgress(phase: TrainingProgress['phase'], epochs: number): TrainingProgress {
  return {
    phase,
    epoch: 0,
    epochs,
    batch: 0,
    batches: 0,
    loss: null,
    metric: null,
    learningRate: null,
    elapsedMs: 0,
    batchesDone: 0,
    batchesTotal: 0,
    etaMs: null,
  };
}

function withThreads(record: RunRecord, plan: ThreadPlan | undefined): RunRecord {
  if (!plan) return record;
  return {
    ...record,
    environment: { ...record.environment, threads: plan.threads, ...(plan.note ? { threadsNote: plan.note } : {}) },
  };
}
