/**
 * A Loupe layers model and its card → an ONNX model (opset 17, fp32, NCHW). The graph input is
 * `image`; with the preprocessing baked in (the default) it takes modality values and the graph
 * scales them as the card says, otherwise it takes the already-preprocessed input. The output is
 * named for the task (EXPORT_OUTPUT_NAMES) and keeps the layers model's values, channels first.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelCard, TaskKind } from '../../contract/index';
import { walkLayers } from './layer-walk';
import { OnnxGraph } from './onnx-graph';
import { convertLayer } from './onnx-layers';
import { bakePreprocessing, describeInput } from './onnx-preprocessing';
import { encodeModel, type OnnxModelParts, type OnnxValueInfo } from './onnx-proto';

export const EXPORT_INPUT_NAME = 'image';

/** The graph output's name per task. */
export const EXPORT_OUTPUT_NAMES: Record<TaskKind, string> = {
  classification: 'logits',
  segmentation: 'logits',
  detection: 'centernet',
  verification: 'embedding',
};

/** The symbolic batch dimension of the input and output. */
const BATCH = 'batch';

export interface OnnxExportOptions {
  /** Bake the card's intensity scaling and standardisation into the graph. Default true. */
  preprocessing?: boolean;
  /** Written into the model's producer_version. */
  loupeVersion?: string;
}

function describeOutput(card: ModelCard, shape: (number | string)[]): string {
  const dims = `[${shape.join(', ')}] float32`;
  switch (card.task) {
    case 'classification':
      return `${dims}: one logit per class (${card.classes.join(', ')}); softmax gives the probabilities Loupe shows.`;
    case 'segmentation':
      return shape[1] === 1
        ? `${dims} (NCHW): one logit per pixel; sigmoid > 0.5 is "${card.classes[1] ?? 'foreground'}".`
        : `${dims} (NCHW): one logit per class and pixel; argmax over channels is the class index into (${card.classes.join(', ')}).`;
    case 'detection':
      return `${dims} (NCHW): per output cell ${card.classes.length} class heatmaps (probabilities), then box width and height and centre offset x and y, in cells; decode and NMS as the card's detection settings say.`;
    case 'verification':
      return `${dims}: a unit-length embedding; two images match when the dot product of their embeddings reaches the card's verification threshold.`;
  }
}

/** NHWC shapes from tfjs, to NCHW for ONNX. */
function nchw(shape: readonly (number | null)[]): (number | string)[] {
  const dims = shape.map((d, i) => (i === 0 ? BATCH : (d as number)));
  return dims.length === 4 ? [dims[0]!, dims[3]!, dims[1]!, dims[2]!] : dims;
}

export interface OnnxExport {
  bytes: Uint8Array;
  input: { name: string; shape: (number | string)[]; description: string };
  output: { name: string; shape: (number | string)[]; description: string };
}

export function exportOnnx(model: tf.LayersModel, card: ModelCard, options: OnnxExportOptions = {}): OnnxExport {
  const { parts, input, output } = buildOnnx(model, card, options);
  return { bytes: encodeModel(parts), input, output };
}

/** The graph before serialisation, so the int8 pass can rewrite it. */
export function buildOnnx(
  model: tf.LayersModel,
  card: ModelCard,
  options: OnnxExportOptions = {},
): Omit<OnnxExport, 'bytes'> & { parts: OnnxModelParts } {
  const baked = options.preprocessing ?? true;
  const graph = new OnnxGraph();
  graph.unique(EXPORT_INPUT_NAME);
  const { rows, columns, channels } = card.input;
  const inputShape = [BATCH, channels, rows, columns];
  const modelInput = baked ? bakePreprocessing(graph, EXPORT_INPUT_NAME, card.preprocessing) : EXPORT_INPUT_NAME;
  const last = walkLayers(model, 'ONNX', modelInput, (step) => convertLayer({ graph, ...step }));
  const outputName = EXPORT_OUTPUT_NAMES[card.task];
  // Name the graph output by renaming through Identity: the last layer's value keeps its own name.
  graph.node('Identity', [last], 'output', [], outputName);
  const outputShape = nchw(model.outputs[0]!.shape);
  const input: OnnxValueInfo = {
    name: EXPORT_INPUT_NAME,
    dims: inputShape,
    docString: describeInput(card.preprocessing, baked),
  };
  const output: OnnxValueInfo = { name: outputName, dims: outputShape, docString: describeOutput(card, outputShape) };
  const parts: OnnxModelParts = {
    graphName: `loupe_${card.task}_${card.model.architecture}`,
    nodes: graph.nodes,
    initializers: graph.initializers,
    inputs: [input],
    outputs: [output],
    docString: `Loupe ${card.task} model (${card.model.architecture}), run ${card.run.runId}. Classes: ${card.classes.join(', ') || '(none)'}.`,
    metadata: {
      task: card.task,
      architecture: card.model.architecture,
      classes: JSON.stringify(card.classes),
      preprocessing: JSON.stringify(card.preprocessing),
      preprocessing_baked: String(baked),
      output_activation: card.output.activation,
    },
    producerVersion: options.loupeVersion ?? '0',
  };
  return {
    parts,
    input: { name: EXPORT_INPUT_NAME, shape: inputShape, description: input.docString! },
    output: { name: outputName, shape: outputShape, description: output.docString! },
  };
}
