/**
 * Everything a run needs before its first batch: the checked config, the prepared dataset, the
 * model (fresh or fine-tuned), loss, optimiser, schedule and monitors; restored from the last
 * checkpoint when resuming. One owner of the model and optimiser: `dispose()`.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { LoupeError, type RunRecord, type TrainingConfig, type TrainRequest } from '../../contract/index';
import { prepareDataset, type FrameReader, type PreparedDataset } from '../data/dataset';
import { deriveSeed, STREAM } from '../data/random';
import { createLoss, type LossFunction } from '../losses/index';
import { segmentationOutputChannels } from '../models/index';
import { MonitoredValue, type MonitorSnapshot } from '../optim/early-stopping';
import { createOptimizer, type Optimizer, type OptimizerSnapshot } from '../optim/optimizers';
import { LearningRateSchedule, type ScheduleSnapshot } from '../optim/schedules';
import { readCheckpoint } from './checkpoint';
import { openCompression, type Compression } from './compression';
import { modelForRun, type RunModel } from './fine-tune';
import type { NamedArray } from './parameters';
import { writeWeights } from './parameters';
import { readRunRecord, runFile } from '../../base/run-files';
import { withTaskSettings } from './tasks/settings';
import { openTaskRun, type TaskRun } from './tasks/task-run';
import { trainingBackendFor } from '../backends/gradient-kernels';
import { releaseStepReplays } from './step-replays';

/** What a checkpoint holds besides the arrays. */
export interface CheckpointState {
  runId: string;
  /** The first epoch still to run. */
  nextEpoch: number;
  /** True once training ended (last epoch, or early stop): resume goes straight to evaluation. */
  trainingDone: boolean;
  stoppedEarly: boolean;
  optimizer: Omit<OptimizerSnapshot, 'slots'> & { slots: { parameter: string; slot: string }[] };
  schedule: ScheduleSnapshot;
  best: MonitorSnapshot;
  earlyStopping: MonitorSnapshot | null;
  epochs: RunRecord['epochs'];
  datasetHash: string;
}

export const WEIGHT_PREFIX = 'weight:';
export const SLOT_PREFIX = 'slot:';

export interface TrainingSession {
  runId: string;
  config: TrainingConfig;
  data: PreparedDataset;
  run: RunModel;
  loss: LossFunction;
  optimizer: Optimizer;
  schedule: LearningRateSchedule;
  best: MonitoredValue;
  earlyStopping: MonitoredValue | null;
  /** The engine backend the run trains on, as the run record names it. */
  backend: string;
  /** How this kind of task draws batches and measures them. */
  task: TaskRun;
  batchesPerEpoch: number;
  /** Pruning masks and the distillation teacher, where the config asks for them. */
  compression: Compression;
  /** Restored from a checkpoint, or fresh. */
  resumed: CheckpointState | null;
  record: RunRecord | null;
  dispose(): Promise<void>;
}

async function configFor(request: TrainRequest, existing: RunRecord | null): Promise<TrainingConfig> {
  if (request.resume) {
    if (!existing) throw new LoupeError('NOT_FOUND', `${request.runDir} holds no run to resume.`);
    // The record holds the config with its task's settings filled in; compare like with like.
    if (request.config && JSON.stringify(withTaskSettings(request.config)) !== JSON.stringify(existing.config)) {
      throw new LoupeError(
        'INVALID_REQUEST',
        'The configuration differs from the run being resumed; resume without a configuration, or start a new run.',
      );
    }
    return existing.config;
  }
  if (existing)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${request.runDir} already holds a run (${existing.status}); resume it or choose a new folder.`,
    );
  if (!request.config) throw new LoupeError('INVALID_REQUEST', 'A new run needs a configuration.');
  return withTaskSettings(request.config);
}

export async function openSession(
  request: TrainRequest,
  options: { readFrame?: FrameReader; signal: AbortSignal },
): Promise<TrainingSession> {
  await fs.mkdir(request.runDir, { recursive: true });
  const existing = await readRunRecord(request.runDir);
  const config = await configFor(request, existing);
  const dataset = request.dataset;
  if (dataset.task !== config.task)
    throw new LoupeError('INVALID_REQUEST', `The dataset is for ${dataset.task} but the run trains ${config.task}.`);
  const data = await prepareDataset(dataset, config.preprocessing, {
    ...(options.readFrame ? { readFrame: options.readFrame } : {}),
    signal: options.signal,
  });
  if (data.splits.train.length === 0)
    throw new LoupeError('INVALID_REQUEST', 'The training split is empty: assign images to it before training.');
  if (existing && existing.dataset.datasetHash !== data.snapshot.datasetHash) {
    throw new LoupeError(
      'INVALID_REQUEST',
      'The images or labels changed since this run started, so it cannot be resumed exactly; start a new run.',
    );
  }
  const spec = data.spec;
  const numClasses = data.classes.length;
  const target = {
    task: config.task,
    inputShape: [spec.rows, spec.columns, spec.channels] as [number, number, number],
    numClasses,
    seed: deriveSeed(config.seed, STREAM.init),
  };
  const run = await modelForRun(config.model, config.fineTune, target);
  let disposed = false;
  const optimizer = createOptimizer(config.optimizer);
  let compression: Compression | null = null;
  const disposeAll = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    compression?.dispose();
    optimizer.dispose();
    releaseStepReplays(run.model);
    run.model.dispose();
  };
  try {
    const backend = trainingBackendFor(run.model);
    const outputChannels = (run.model.outputs[0]!.shape.at(-1) ?? 0) as number;
    const expected = expectedOutputChannels(config.task, numClasses);
    if (expected !== null && outputChannels !== expected)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The model gives ${outputChannels} outputs but ${numClasses} classes need ${expected}.`,
      );
    const loss = createLoss(config.loss, { task: config.task, numClasses, outputChannels });
    const task = openTaskRun(config, data, run.model);
    const batchesPerEpoch = task.batchesPerEpoch;
    const schedule = new LearningRateSchedule(config.schedule, {
      baseLearningRate: config.learningRate,
      epochs: config.epochs,
      batchesPerEpoch,
      monitorMode: config.monitor.mode,
    });
    const best = new MonitoredValue(config.monitor);
    const earlyStopping = config.earlyStopping
      ? new MonitoredValue(config.monitor, config.earlyStopping.minDelta)
      : null;
    let resumed: CheckpointState | null = null;
    if (request.resume) {
      const checkpoint = await readCheckpoint<CheckpointState>(runFile(request.runDir, 'lastCheckpoint'));
      resumed = checkpoint.state;
      restoreFromCheckpoint(run.model, optimizer, checkpoint.state, checkpoint.arrays);
      schedule.restore(resumed.schedule);
      best.restore(resumed.best);
      if (earlyStopping && resumed.earlyStopping) earlyStopping.restore(resumed.earlyStopping);
    }
    // After the restore, so that a resumed run's masks are its checkpoint's zeros.
    compression = await openCompression(config, data, run.model, batchesPerEpoch);
    return {
      runId: existing?.runId ?? request.runId ?? randomUUID(),
      config,
      data,
      run,
      loss,
      optimizer,
      schedule,
      best,
      earlyStopping,
      backend,
      task,
      batchesPerEpoch,
      compression,
      resumed,
      record: existing,
      dispose: async () => {
        await disposeAll();
      },
    };
  } catch (error) {
    await disposeAll();
    throw error;
  }
}

/** Channels the model's output must have; null where any width will do (an embedding). */
function expectedOutputChannels(task: TrainingConfig['task'], numClasses: number): number | null {
  switch (task) {
    case 'classification':
      return numClasses;
    case 'segmentation':
      return segmentationOutputChannels(numClasses);
    case 'detection':
      return numClasses + 4;
    case 'verification':
      return null;
  }
}

function restoreFromCheckpoint(
  model: tf.LayersModel,
  optimizer: Optimizer,
  state: CheckpointState,
  arrays: readonly NamedArray[],
): void {
  const weights = arrays
    .filter((a) => a.name.startsWith(WEIGHT_PREFIX))
    .map((a) => ({ ...a, name: a.name.slice(WEIGHT_PREFIX.length) }));
  try {
    writeWeights(model, weights);
  } catch (error) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The checkpoint does not fit this run's model: ${(error as Error).message}`,
    );
  }
  const slotValues = new Map(arrays.filter((a) => a.name.startsWith(SLOT_PREFIX)).map((a) => [a.name, a]));
  optimizer.restore({
    name: state.optimizer.name,
    steps: state.optimizer.steps,
    slots: state.optimizer.slots.map(({ parameter, slot }) => {
      const array = slotValues.get(`${SLOT_PREFIX}${parameter}:${slot}`);
      if (!array) throw new LoupeError('INVALID_REQUEST', `The checkpoint lacks optimiser state for ${parameter}.`);
      return { parameter, slot, shape: array.shape, values: array.values };
    }),
  });
}
