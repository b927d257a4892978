/**
 * What the TFLite layer converters share: the context a converter gets, the layer's output shape,
 * the refusal naming a layer, padding, and activations (fused into the op before, or their own op).
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../../contract/index';
import type { LayerStep } from '../layer-walk';
import { BuiltinOperator, type TfliteGraph } from './tflite-graph';
import { ActivationFunctionType, Padding, softmaxOptions } from './tflite-options';

export interface TfliteLayerContext extends LayerStep<number> {
  graph: TfliteGraph;
  /** Batch-norm and ReLU layers already folded or fused into the convolution before them. */
  folded: Set<string>;
}

export type Convert = (ctx: TfliteLayerContext) => number;

/** The layer's output shape with batch 1: the file's tensors have fixed shapes. */
export function outShape(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.map((d, i) => (i === 0 ? 1 : d!));
}

export function refuse(layer: tf.layers.Layer, what: string): never {
  throw new LoupeError(
    'INVALID_REQUEST',
    `Layer "${layer.name}" (${layer.getClassName()}) ${what}; the TFLite export cannot express that yet.`,
  );
}

export function padding(layer: tf.layers.Layer, config: Record<string, unknown>): Padding {
  if (config.padding === 'same') return Padding.SAME;
  if ((config.padding ?? 'valid') === 'valid') return Padding.VALID;
  return refuse(layer, `uses ${String(config.padding)} padding`);
}

/** The activation ops after a layer whose activation cannot be fused into it. */
export function activation(ctx: TfliteLayerContext, input: number, kind: unknown): number {
  const { graph, layer } = ctx;
  const shape = graph.shapeOf(input);
  switch (kind ?? 'linear') {
    case 'linear':
      return input;
    case 'relu':
      return graph.op(BuiltinOperator.RELU, [input], `${layer.name}_relu`, shape);
    case 'relu6':
      return graph.op(BuiltinOperator.RELU6, [input], `${layer.name}_relu6`, shape);
    case 'sigmoid':
      return graph.op(BuiltinOperator.LOGISTIC, [input], `${layer.name}_sigmoid`, shape);
    case 'tanh':
      return graph.op(BuiltinOperator.TANH, [input], `${layer.name}_tanh`, shape);
    case 'softmax':
      // TFLite's softmax runs over the last axis: the channels, in NHWC as in tfjs.
      return graph.op(BuiltinOperator.SOFTMAX, [input], `${layer.name}_softmax`, shape, softmaxOptions());
    default:
      return refuse(layer, `uses the ${String(kind)} activation`);
  }
}

export function fusedActivation(kind: unknown): ActivationFunctionType | null {
  switch (kind ?? 'linear') {
    case 'linear':
      return ActivationFunctionType.NONE;
    case 'relu':
      return ActivationFunctionType.RELU;
    case 'relu6':
      return ActivationFunctionType.RELU6;
    default:
      return null;
  }
}
