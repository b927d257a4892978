/**
 * A model's weights by stable name: which ones train (freezing, a slower backbone when
 * fine-tuning), and reading/writing all of them (checkpoints, best weights).
 */
import * as tf from '@tensorflow/tfjs';
import { HEAD_PREFIX } from '../models/index';
import type { Parameter } from '../optim/optimizers';

/** Layers that hold or could hold weights, in model order (the input layer does not count). */
export function countedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
}

/** Layer names of the backbone: every layer that is not a head's (see HEAD_PREFIX). */
export function backboneLayerNames(model: tf.LayersModel): Set<string> {
  return new Set(
    countedLayers(model)
      .filter((l) => !l.name.startsWith(HEAD_PREFIX))
      .map((l) => l.name),
  );
}

export interface TrainableOptions {
  /** The first N counted layers do not train. */
  frozenLayers: number;
  /** Learning-rate factor for backbone layers. */
  backboneFactor: number;
  backboneLayers: ReadonlySet<string>;
}

/** The parameters that train now, named by their weights' original names (`conv_1/kernel`). */
export function trainableParameters(model: tf.LayersModel, options: TrainableOptions): Parameter[] {
  const parameters: Parameter[] = [];
  countedLayers(model).forEach((layer, index) => {
    if (index < options.frozenLayers) return;
    const factor = options.backboneLayers.has(layer.name) ? options.backboneFactor : 1;
    for (const weight of layer.trainableWeights) {
      parameters.push({
        name: weight.originalName,
        variable: weight.read() as tf.Variable,
        learningRateFactor: factor,
      });
    }
  });
  return parameters;
}

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Every weight, trainable or not (batch-norm statistics too), copied out. */
export async function readWeights(model: tf.LayersModel): Promise<NamedArray[]> {
  const out: NamedArray[] = [];
  for (const weight of model.weights) {
    const values = await weight.read().data();
    out.push({ name: weight.originalName, shape: weight.shape.slice() as number[], values: Float32Array.from(values) });
  }
  return out;
}

/** Writes weights back by name; every weight of the model must be present with its shape. */
export function writeWeights(model: tf.LayersModel, arrays: readonly NamedArray[]): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  for (const weight of model.weights) {
    const array = byName.get(weight.originalName);
    if (!array) throw new Error(`The saved weights lack ${weight.originalName}.`);
    if (array.shape.join('x') !== weight.shape.join('x'))
      throw new Error(
        `Saved ${weight.originalName} is ${array.shape.join('×')}, the model's is ${weight.shape.join('×')}.`,
      );
    const value = tf.tensor(array.values, array.shape);
    weight.write(value);
    value.dispose();
  }
}
