/**
 * One optimisation step, isolated so another implementation (the two-thread data-parallel
 * gradient step in ml/parallel) can take its place through the `TrainStep` type: given the
 * batch, compute the loss and gradients of the trainable parameters, let the optimiser apply
 * them, and report the loss and the batch's logits (for the running training metric).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batches';
import type { LossFunction } from '../losses/index';
import type { Optimizer, Parameter } from '../optim/optimizers';
import { throwIfGpuFault } from '../backends/webgpu/faults';
import { applyForTraining } from '../models/batch-norm-relu';
import { releaseDuringBackward } from './release-during-backward';
import { stepGradients, type StepGradients } from './step-replays';

export interface TrainStepContext {
  model: tf.LayersModel;
  loss: LossFunction;
  /** What trains this step (frozen layers are absent), with learning-rate factors. */
  parameters: readonly Parameter[];
  optimizer: Optimizer;
  learningRate: number;
}

export interface StepOutcome {
  /** The batch's mean loss before the update. */
  loss: number;
  /** The model's outputs for the batch, before the update, flattened. */
  logits: Float32Array;
}

export type TrainStep = (context: TrainStepContext, batch: Batch) => Promise<StepOutcome>;

/**
 * The loss, the model's outputs and the gradients of `variables` for one batch, through tfjs's tape:
 * forward in training mode (batch norm uses and updates batch statistics), backward (freeing each
 * layer's activations as it passes them).
 */
export function tapeGradients(
  model: tf.LayersModel,
  loss: LossFunction,
  variables: tf.Variable[],
  batch: Batch,
): StepGradients {
  let logits: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const output = applyForTraining(model, batch.x) as tf.Tensor;
    logits = tf.keep(output);
    const value = loss(batch.y, output);
    releaseDuringBackward();
    return value;
  }, variables);
  return { value, grads, logits: logits! };
}

/**
 * A step issued and not yet read: its loss and outputs are read when `outcome` is awaited. On a GPU
 * the training loop issues the next step before it awaits this one's, so the GPU computes a step
 * while JavaScript prepares the next batch and records the next step, instead of each waiting on
 * the other. On the CPU a step has computed by the time it is issued, and nothing changes.
 */
export interface IssuedStep {
  /** The step's loss and outputs (the update applied); frees them. Call it, or `discard`, once. */
  outcome(): Promise<StepOutcome>;
  /** Frees the step's loss and outputs unread (a run stopped in between). */
  discard(): void;
}

/**
 * The single-thread step, issued: the gradients (tapeGradients, or on WebGPU their replay,
 * step-replays.ts), the update, and the reads of the loss and outputs begun, not awaited.
 */
export function issueTrainStep(context: TrainStepContext, batch: Batch): IssuedStep {
  const { model, loss, parameters, optimizer, learningRate } = context;
  const byVariable = new Map(parameters.map((p) => [p.variable.name, p.name]));
  const variables = parameters.map((p) => p.variable);
  const { value, grads, logits } = stepGradients(model, loss, variables, batch, () =>
    tapeGradients(model, loss, variables, batch),
  );
  const free = () => tf.dispose([value, logits]);
  try {
    const gradients = new Map<string, tf.Tensor>();
    for (const [variableName, gradient] of Object.entries(grads))
      gradients.set(byVariable.get(variableName)!, gradient);
    optimizer.apply(parameters, gradients, learningRate);
  } catch (error) {
    free();
    throw error;
  } finally {
    tf.dispose(Object.values(grads));
  }
  const reads = Promise.all([value.data(), logits.data()]);
  // Read or not, a failed read must not surface as an unhandled rejection: outcome() rethrows it.
  reads.catch(() => {});
  let settled = false;
  const settle = () => {
    if (settled) throw new Error('A training step was read or discarded twice.');
    settled = true;
  };
  return {
    async outcome() {
      settle();
      try {
        const [lossValue, outputs] = await reads;
        throwIfGpuFault();
        return { loss: lossValue[0]!, logits: outputs as Float32Array };
      } finally {
        free();
      }
    },
    discard() {
      settle();
      void reads.finally(free).catch(() => {});
    },
  };
}

/** The single-thread step, awaited: issued, then read. */
export const trainStep: TrainStep = (context, batch) => issueTrainStep(context, batch).outcome();
