/**
 * Runs a functional LayersModel layer by layer, split at a target layer, so the class score can be
 * differentiated with respect to that layer's feature map (what every CAM method needs). Tensors
 * computed before the target layer do not depend on it, so skip connections that join later
 * (ResNet, U-Net) enter the second half as constants — exactly d score / d A.
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';

type Symbolic = tf.SymbolicTensor;

export interface LayerNode {
  inputTensors: Symbolic[];
  outputTensors: Symbolic[];
}

export function nodeOf(layer: tf.layers.Layer): LayerNode {
  // Loupe's models are flat functional graphs: each layer is applied exactly once.
  const nodes = (layer as unknown as { inboundNodes: LayerNode[] }).inboundNodes;
  return nodes[0]!;
}

function isFeatureMap(layer: tf.layers.Layer): boolean {
  const shape = layer.outputShape;
  return (
    Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4 && layer.getClassName() !== 'InputLayer'
  );
}

/** Names of the layers whose output is a feature map (a valid CAM target), in graph order. */
export function featureMapLayers(model: tf.LayersModel): string[] {
  return model.layers.filter(isFeatureMap).map((l) => l.name);
}

/** The default target: the deepest feature map before the head (the backbone's last convolutional output). */
export function defaultTargetLayer(model: tf.LayersModel): string {
  const names = featureMapLayers(model);
  const last = names.at(-1);
  if (!last)
    throw new LoupeError('INVALID_REQUEST', `The model ${model.name} has no convolutional feature map to explain.`);
  return last;
}

export interface SplitModel {
  /** Input → the target layer's feature map (and every tensor the rest of the graph needs). */
  features(input: tf.Tensor4D): { featureMap: tf.Tensor4D; context: Map<Symbolic, tf.Tensor> };
  /**
   * Feature map → the model's single output, with earlier tensors from `context`; with `until`,
   * stops at that tensor of the graph instead (a head branch's hidden map, say).
   */
  head(featureMap: tf.Tensor4D, context: Map<Symbolic, tf.Tensor>, until?: Symbolic): tf.Tensor;
}

export function splitAt(model: tf.LayersModel, layerName: string): SplitModel {
  const index = model.layers.findIndex((l) => l.name === layerName);
  const target = model.layers[index];
  if (!target || !isFeatureMap(target)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The layer "${layerName}" is not a feature map of this model. Choose one of: ${featureMapLayers(model).join(', ')}.`,
    );
  }
  if (model.outputs.length !== 1)
    throw new LoupeError('INVALID_REQUEST', 'Explanations need a model with a single output.');
  const inputSymbol = model.inputs[0]!;
  const targetSymbol = nodeOf(target).outputTensors[0]!;
  const run = (from: number, to: number, values: Map<Symbolic, tf.Tensor>): void => {
    for (const layer of model.layers.slice(from, to)) {
      if (layer.getClassName() === 'InputLayer') continue;
      const node = nodeOf(layer);
      const inputs = node.inputTensors.map((s) => {
        const value = values.get(s);
        if (!value) throw new Error(`Layer ${layer.name} needs a tensor computed after the split.`);
        return value;
      });
      const output = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor;
      values.set(node.outputTensors[0]!, output);
    }
  };
  return {
    features(input) {
      const values = new Map<Symbolic, tf.Tensor>([[inputSymbol, input]]);
      run(0, index + 1, values);
      return { featureMap: values.get(targetSymbol) as tf.Tensor4D, context: values };
    },
    head(featureMap, context, until) {
      const values = new Map(context);
      values.set(targetSymbol, featureMap);
      const wanted = until ?? model.outputs[0]!;
      const producer = model.layers.indexOf(wanted.sourceLayer as tf.layers.Layer);
      if (producer < index)
        throw new LoupeError('INVALID_REQUEST', `The layer "${layerName}" lies after the tensor being explained.`);
      run(index + 1, producer + 1, values);
      return values.get(wanted)!;
    },
  };
}
