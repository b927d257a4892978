/**
 * Losses by name. A loss is created from its config (contract/training/losses.ts) for a task's
 * output, and maps (target, logits) to a scalar. Detection and Siamese losses register here with
 * their own target types.
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError, type TaskKind } from '../../contract/index';

/** Mean loss over the batch; `target` is whatever the task's batches carry (class indices here). */
export type LossFunction<Target = tf.Tensor> = (target: Target, logits: tf.Tensor) => tf.Scalar;

/** The output a loss is made for. */
export interface LossTarget {
  task: TaskKind;
  /** Classes of the task (segmentation: including background). */
  numClasses: number;
  /** Channels of the logits: numClasses, or 1 for a binary sigmoid output. */
  outputChannels: number;
}

export interface LossDefinition<Config extends { name: string } = { name: string }, Target = tf.Tensor> {
  name: Config['name'];
  /** Tasks this loss makes sense for. */
  tasks: readonly TaskKind[];
  /** Throws a LoupeError saying why when the loss cannot serve this output. */
  create(config: Config, target: LossTarget): LossFunction<Target>;
}

const definitions = new Map<string, LossDefinition<{ name: string }, unknown>>();

export function registerLoss<Config extends { name: string }, Target>(
  definition: LossDefinition<Config, Target>,
): void {
  if (definitions.has(definition.name)) throw new Error(`Loss "${definition.name}" is registered twice.`);
  definitions.set(definition.name, definition as unknown as LossDefinition<{ name: string }, unknown>);
}

export function createLoss<Target = tf.Tensor>(config: { name: string }, target: LossTarget): LossFunction<Target> {
  const definition = definitions.get(config.name);
  if (!definition)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Loupe has no loss called "${config.name}" (known: ${[...definitions.keys()].join(', ')}).`,
    );
  if (!definition.tasks.includes(target.task)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The ${config.name} loss is for ${definition.tasks.join(' or ')}, not ${target.task}.`,
    );
  }
  return definition.create(config, target) as LossFunction<Target>;
}
