/**
 * A run's compression options as the loop uses them: the pruner (masks and schedule) and the
 * distillation teacher (a completed run's model, run forward without gradients in this worker).
 * The teacher is checked against the run before the first batch, naming what differs.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type DistillConfig, type RunRecord, type TrainingConfig } from '../../contract/index';
import type { PreparedDataset } from '../data/dataset';
import { distillationLoss } from '../losses/distillation';
import type { LossFunction } from '../losses/index';
import { loadModelFolder } from '../model-io/model-folder';
import { Pruner } from './pruning';
import { evaluateSplit, type EvaluationContext } from './tasks/evaluation';

export interface Teacher {
  runId: string;
  model: tf.LayersModel;
  settings: DistillConfig;
}

export interface Compression {
  pruner: Pruner | null;
  teacher: Teacher | null;
  dispose(): void;
}

export async function openCompression(
  config: TrainingConfig,
  data: PreparedDataset,
  model: tf.LayersModel,
  batchesPerEpoch: number,
): Promise<Compression> {
  const pruner = config.prune ? Pruner.open(model, config.prune, config.epochs, batchesPerEpoch) : null;
  let teacher: Teacher | null = null;
  try {
    if (config.distill) teacher = await openTeacher(config, config.distill, data);
  } catch (error) {
    pruner?.dispose();
    throw error;
  }
  return {
    pruner,
    teacher,
    dispose: () => {
      pruner?.dispose();
      teacher?.model.dispose();
    },
  };
}

async function openTeacher(config: TrainingConfig, distill: DistillConfig, data: PreparedDataset): Promise<Teacher> {
  const refuse = (why: string): never => {
    throw new LoupeError('INVALID_REQUEST', `Run ${distill.teacherRunId} cannot teach this run: ${why}.`);
  };
  if (config.task !== 'classification')
    throw new LoupeError('INVALID_REQUEST', `Distillation is for classification runs; this run trains ${config.task}.`);
  if (!distill.teacherDir) refuse('its model folder was not resolved (start the run through Loupe, not the engine)');
  const { model, card } = await loadModelFolder(distill.teacherDir!);
  try {
    if (card.task !== 'classification') refuse(`it trained ${card.task}, not classification`);
    if (JSON.stringify(card.classes) !== JSON.stringify(data.classes))
      refuse(`its classes are ${card.classes.join(', ')} and this run's are ${data.classes.join(', ')}`);
    const differing = Object.keys({ ...card.preprocessing, ...data.spec }).filter(
      (key) =>
        JSON.stringify(card.preprocessing[key as keyof typeof card.preprocessing]) !==
        JSON.stringify(data.spec[key as keyof typeof data.spec]),
    );
    if (differing.length > 0)
      refuse(`its input preprocessing differs in ${differing.join(', ')}; use the teacher's preprocessing`);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { runId: distill.teacherRunId, model, settings: distill };
}

/**
 * The loss for one batch: the run's own, or mixed with the teacher's outputs for these inputs.
 * The caller disposes `release()` after the step.
 */
export function batchLoss(
  compression: Compression,
  loss: LossFunction,
  x: tf.Tensor,
): { loss: LossFunction; release(): void } {
  const teacher = compression.teacher;
  if (!teacher) return { loss, release: () => {} };
  const teacherLogits = tf.tidy(() => teacher.model.apply(x, { training: false }) as tf.Tensor);
  return {
    loss: distillationLoss(loss, teacherLogits, teacher.settings),
    release: () => teacherLogits.dispose(),
  };
}

/** The teacher measured on the run's own test split, for the run record beside the student's. */
export async function teacherMetrics(
  compression: Compression,
  data: PreparedDataset,
  context: EvaluationContext,
  options: { batchSize: number; signal: AbortSignal },
): Promise<RunRecord['teacher']> {
  const teacher = compression.teacher;
  if (!teacher) return undefined;
  if (data.splits.test.length === 0) return { runId: teacher.runId, metrics: null };
  const { report } = await evaluateSplit(teacher.model, data, 'test', context, options);
  return { runId: teacher.runId, metrics: report };
}
