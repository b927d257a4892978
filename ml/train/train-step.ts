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

/** The single-thread step: the gradients (tapeGradients, or on WebGPU their replay, step-replays.ts), then the update. */
export const trainStep: TrainStep = async (context, batch) => {
  const { model, loss, parameters, optimizer, learningRate } = context;
  const byVariable = new Map(parameters.map((p) => [p.variable.name, p.name]));
  const variables = parameters.map((p) => p.variable);
  const { value, grads, logits } = stepGradients(model, loss, variables, batch, () =>
    tapeGradients(model, loss, variables, batch),
  );
  try {
    const gradients = new Map<string, tf.Tensor>();
    for (const [variableName, gradient] of Object.entries(grads))
      gradients.set(byVariable.get(variableName)!, gradient);
    optimizer.apply(parameters, gradients, learningRate);
    const [lossValue, outputs] = await Promise.all([value.data(), logits.data()]);
    throwIfGpuFault();
    return { loss: lossValue[0]!, logits: outputs as Float32Array };
  } finally {
    value.dispose();
    tf.dispose(Object.values(grads));
    logits.dispose();
  }
};
