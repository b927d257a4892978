/**
 * A Loupe layers model and its card → a TFLite flatbuffer (schema 3, fp32, NHWC, batch 1). The
 * input `image` takes pixels already preprocessed as the card says (TFLite runtimes on devices
 * usually scale the camera or file pixels themselves); the output keeps the layers model's
 * values, named for the task as the ONNX export names it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelCard } from '../../../contract/index';
import { walkLayers } from '../layer-walk';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAMES } from '../onnx-export';
import { TfliteGraph } from './tflite-graph';
import { convertTfliteLayer } from './tflite-layers';

export interface TfliteIo {
  name: string;
  shape: number[];
  description: string;
}

export interface TfliteModel {
  graph: TfliteGraph;
  inputTensor: number;
  outputTensor: number;
  input: TfliteIo;
  output: TfliteIo;
  description: string;
  metadata: Record<string, string>;
}

function describeInput(card: ModelCard, shape: number[]): string {
  const spec = card.preprocessing;
  return `[${shape.join(', ')}] float32 (NHWC): pixels already preprocessed as the card's "preprocessing" says (scaled to [0, 1]${spec.normalize ? ', then standardised' : ''}).`;
}

function describeOutput(card: ModelCard, shape: number[]): string {
  const dims = `[${shape.join(', ')}] float32`;
  switch (card.task) {
    case 'classification':
      return `${dims}: one logit per class (${card.classes.join(', ')}); softmax gives the probabilities Loupe shows.`;
    case 'segmentation':
      return shape[3] === 1
        ? `${dims} (NHWC): one logit per pixel; sigmoid > 0.5 is "${card.classes[1] ?? 'foreground'}".`
        : `${dims} (NHWC): one logit per pixel and class; argmax over the last axis is the class index into (${card.classes.join(', ')}).`;
    case 'detection':
      return `${dims} (NHWC): per output cell ${card.classes.length} class heatmaps (probabilities), then box width and height and centre offset x and y, in cells.`;
    case 'verification':
      return `${dims}: a unit-length embedding.`;
  }
}

/** The graph before serialisation, so that the int8 pass can rewrite it. */
export function buildTflite(model: tf.LayersModel, card: ModelCard): TfliteModel {
  const graph = new TfliteGraph();
  const { rows, columns, channels } = card.input;
  const inputShape = [1, rows, columns, channels];
  const inputTensor = graph.tensor(EXPORT_INPUT_NAME, inputShape);
  const folded = new Set<string>();
  const outputTensor = walkLayers(model, 'TFLite', inputTensor, (step) =>
    convertTfliteLayer({ graph, folded, ...step }),
  );
  const outputName = EXPORT_OUTPUT_NAMES[card.task];
  graph.tensors[outputTensor]!.name = outputName;
  const outputShape = graph.shapeOf(outputTensor);
  return {
    graph,
    inputTensor,
    outputTensor,
    input: { name: EXPORT_INPUT_NAME, shape: inputShape, description: describeInput(card, inputShape) },
    output: { name: outputName, shape: outputShape, description: describeOutput(card, outputShape) },
    description: `Loupe ${card.task} model (${card.model.architecture}), run ${card.run.runId}. Classes: ${card.classes.join(', ') || '(none)'}.`,
    metadata: {
      task: card.task,
      architecture: card.model.architecture,
      classes: JSON.stringify(card.classes),
      preprocessing: JSON.stringify(card.preprocessing),
    },
  };
}

export function encodeTflite(built: TfliteModel): Uint8Array {
  return built.graph.encode([built.inputTensor], [built.outputTensor], built.description, built.metadata);
}

export function exportTflite(model: tf.LayersModel, card: ModelCard): TfliteModel & { bytes: Uint8Array } {
  const built = buildTflite(model, card);
  return { ...built, bytes: encodeTflite(built) };
}
