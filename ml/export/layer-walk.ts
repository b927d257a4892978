/**
 * The walk every exporter makes over a Loupe layers model: its layers in order, each applied once,
 * with the exporter's values of its inputs (ONNX value names, TFLite tensor indices…) and the
 * input shapes tfjs gives them (NHWC, batch first). The exporter converts one layer at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';

export interface LayerStep<V> {
  layer: tf.layers.Layer;
  config: Record<string, unknown>;
  inputs: V[];
  inputShapes: number[][];
}

/** Every model Loupe trains is a single-input, single-output functional model applied once. */
export function checkTopology(model: tf.LayersModel, format: string): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `This model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the ${format} export handles one of each.`,
    );
  }
  for (const layer of model.layers) {
    if (layer.inboundNodes.length > 1)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Layer "${layer.name}" is applied ${layer.inboundNodes.length} times; the ${format} export handles layers applied once.`,
      );
  }
}

/**
 * Converts every layer after the input (which gets `input`) and returns the output layer's value.
 * Runs in tf.tidy: converters may read weights into tensors freely.
 */
export function walkLayers<V>(model: tf.LayersModel, format: string, input: V, convert: (step: LayerStep<V>) => V): V {
  checkTopology(model, format);
  const valueOf = new Map<string, V>();
  tf.tidy(() => {
    for (const layer of model.layers) {
      const inbound = layer.inboundNodes[0]!;
      if (inbound.inboundLayers.length === 0) {
        valueOf.set(layer.name, input);
        continue;
      }
      const inputs = inbound.inboundLayers.map((l) => valueOf.get(l.name)!);
      const inputShapes = inbound.inputShapes as unknown as number[][];
      const shapes = Array.isArray(inputShapes[0]) ? inputShapes : [inputShapes as unknown as number[]];
      valueOf.set(
        layer.name,
        convert({ layer, config: layer.getConfig() as Record<string, unknown>, inputs, inputShapes: shapes }),
      );
    }
  });
  return valueOf.get(model.outputLayers[0]!.name)!;
}
