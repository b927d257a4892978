/**
 * tfjs layers → ONNX nodes, NCHW. Each converter reads the layer's config and weights and appends
 * the equivalent nodes; a layer without a converter stops the export with its name and type.
 * Kernels are transposed from TF's [kh, kw, in, out] to ONNX's [out, in, kh, kw]; TF's `same`
 * padding becomes explicit pads (TF puts the odd pixel at the end, as ONNX's SAME_UPPER would).
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';
import type { OnnxGraph } from './onnx-graph';
import { convKernel, depthwiseKernel, pair, samePads, values, weightsOf } from './onnx-kernels';
import { attr } from './onnx-proto';

/** tf.math.l2_normalize's epsilon, as ml/siamese/embedding.ts uses it. */
const L2_EPSILON = 1e-12;
/** tfjs's BatchNormalization default epsilon, when a config leaves it out. */
const TF_BATCH_NORM_EPSILON = 1e-3;

type Config = Record<string, unknown>;

export interface LayerContext {
  graph: OnnxGraph;
  layer: tf.layers.Layer;
  config: Config;
  /** ONNX value names of the layer's inputs (NCHW, or [N, C] after pooling). */
  inputs: string[];
  /** The layer's input shapes as tfjs sees them (NHWC, batch first). */
  inputShapes: number[][];
}

function pads(
  ctx: LayerContext,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): number[] {
  if (ctx.config.padding !== 'same') return [0, 0, 0, 0];
  const [, h, w] = ctx.inputShapes[0]!;
  const [top, bottom] = samePads(h!, kernel[0], strides[0], dilations[0]);
  const [left, right] = samePads(w!, kernel[1], strides[1], dilations[1]);
  return [top, left, bottom, right];
}

/** A fused `activation` of a Conv2D or Dense layer; `axis` is the channel axis for softmax. */
export function applyActivation(graph: OnnxGraph, input: string, activation: unknown, name: string, axis = 1): string {
  switch (activation ?? 'linear') {
    case 'linear':
      return input;
    case 'relu':
      return graph.node('Relu', [input], `${name}_relu`);
    case 'relu6':
      return graph.node(
        'Clip',
        [input, graph.scalar(`${name}_min`, 0), graph.scalar(`${name}_max`, 6)],
        `${name}_relu6`,
      );
    case 'sigmoid':
      return graph.node('Sigmoid', [input], `${name}_sigmoid`);
    case 'tanh':
      return graph.node('Tanh', [input], `${name}_tanh`);
    case 'softmax':
      return graph.node('Softmax', [input], `${name}_softmax`, [attr.int('axis', axis)]);
    default:
      throw new LoupeError(
        'INVALID_REQUEST',
        `Layer "${name}" uses the ${String(activation)} activation, which the ONNX export cannot express yet.`,
      );
  }
}

function conv(ctx: LayerContext, depthwise: boolean): string {
  const { graph, layer, config } = ctx;
  const w = weightsOf(layer);
  const kernel = depthwise ? depthwiseKernel(w.get('depthwise_kernel')!) : convKernel(w.get('kernel')!);
  const k: [number, number] = [kernel.dims[2]!, kernel.dims[3]!];
  const strides = pair(config.strides, 1);
  const dilations = pair(config.dilationRate, 1);
  const inputs = [ctx.inputs[0]!, graph.float(`${layer.name}_W`, kernel.dims, kernel.data)];
  const bias = w.get('bias');
  if (bias) inputs.push(graph.float(`${layer.name}_B`, [bias.size], values(bias)));
  const attributes = [
    attr.ints('kernel_shape', k),
    attr.ints('strides', strides),
    attr.ints('dilations', dilations),
    attr.ints('pads', pads(ctx, k, strides, dilations)),
  ];
  if (depthwise) attributes.push(attr.int('group', ctx.inputShapes[0]![3]!));
  const y = graph.node('Conv', inputs, layer.name, attributes);
  return applyActivation(graph, y, config.activation, layer.name);
}

function batchNorm(ctx: LayerContext): string {
  const { graph, layer, config } = ctx;
  const axis = config.axis as number | number[];
  const a = Array.isArray(axis) ? axis[0] : axis;
  if (a !== -1 && a !== ctx.inputShapes[0]!.length - 1)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Layer "${layer.name}" normalises over axis ${String(a)}; the ONNX export handles channel-last batch norm only.`,
    );
  const w = weightsOf(layer);
  const channels = w.get('moving_mean')!.size;
  const gamma = w.get('gamma') ? values(w.get('gamma')!) : new Float32Array(channels).fill(1);
  const beta = w.get('beta') ? values(w.get('beta')!) : new Float32Array(channels);
  return graph.node(
    'BatchNormalization',
    [
      ctx.inputs[0]!,
      graph.float(`${layer.name}_scale`, [channels], gamma),
      graph.float(`${layer.name}_bias`, [channels], beta),
      graph.float(`${layer.name}_mean`, [channels], values(w.get('moving_mean')!)),
      graph.float(`${layer.name}_var`, [channels], values(w.get('moving_variance')!)),
    ],
    layer.name,
    [attr.float('epsilon', (config.epsilon as number | undefined) ?? TF_BATCH_NORM_EPSILON)],
  );
}

function relu(ctx: LayerContext): string {
  const { graph, layer, config } = ctx;
  const maxValue = config.maxValue as number | null | undefined;
  if (!maxValue) return graph.node('Relu', [ctx.inputs[0]!], layer.name);
  return graph.node(
    'Clip',
    [ctx.inputs[0]!, graph.scalar(`${layer.name}_min`, 0), graph.scalar(`${layer.name}_max`, maxValue)],
    layer.name,
  );
}

function pool(ctx: LayerContext, op: 'MaxPool' | 'AveragePool'): string {
  const { config } = ctx;
  const k = pair(config.poolSize, 2);
  const strides = pair(config.strides ?? config.poolSize, 2);
  const attributes = [
    attr.ints('kernel_shape', k),
    attr.ints('strides', strides),
    attr.ints('pads', pads(ctx, k, strides, [1, 1])),
  ];
  // TF's average pooling with `same` padding divides by the pixels inside the image only.
  if (op === 'AveragePool') attributes.push(attr.int('count_include_pad', 0));
  return ctx.graph.node(op, [ctx.inputs[0]!], ctx.layer.name, attributes);
}

function globalPool(ctx: LayerContext, op: 'GlobalAveragePool' | 'GlobalMaxPool'): string {
  const pooled = ctx.graph.node(op, [ctx.inputs[0]!], ctx.layer.name);
  return ctx.graph.node('Flatten', [pooled], `${ctx.layer.name}_flatten`, [attr.int('axis', 1)]);
}

function dense(ctx: LayerContext): string {
  const { graph, layer, config } = ctx;
  if (ctx.inputShapes[0]!.length !== 2)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Layer "${layer.name}" is a Dense layer on a ${ctx.inputShapes[0]!.length}-D input; the ONNX export handles Dense on vectors only.`,
    );
  const w = weightsOf(layer);
  const kernel = w.get('kernel')!;
  const [cin, cout] = kernel.shape as [number, number];
  const inputs = [ctx.inputs[0]!, graph.float(`${layer.name}_W`, [cin, cout], values(kernel))];
  const bias = w.get('bias');
  if (bias) inputs.push(graph.float(`${layer.name}_B`, [cout], values(bias)));
  const y = graph.node('Gemm', inputs, layer.name);
  return applyActivation(graph, y, config.activation, layer.name);
}

function upSampling(ctx: LayerContext): string {
  const { graph, layer, config } = ctx;
  if ((config.interpolation ?? 'nearest') !== 'nearest')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Layer "${layer.name}" upsamples bilinearly; the ONNX export handles nearest upsampling only.`,
    );
  const [sh, sw] = pair(config.size, 2);
  const scales = graph.float(`${layer.name}_scales`, [4], [1, 1, sh, sw]);
  // Integer factors: output pixel i copies input pixel floor(i / factor), as tf's nearest resize does.
  return graph.node('Resize', [ctx.inputs[0]!, '', scales], layer.name, [
    attr.string('mode', 'nearest'),
    attr.string('coordinate_transformation_mode', 'asymmetric'),
    attr.string('nearest_mode', 'floor'),
  ]);
}

/** The channel axis of an NHWC axis, in the NCHW graph. */
function nchwAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}

function concatenate(ctx: LayerContext): string {
  const rank = ctx.inputShapes[0]!.length;
  return ctx.graph.node('Concat', ctx.inputs, ctx.layer.name, [
    attr.int('axis', nchwAxis((ctx.config.axis as number | undefined) ?? -1, rank)),
  ]);
}

function add(ctx: LayerContext): string {
  let sum = ctx.inputs[0]!;
  for (const next of ctx.inputs.slice(1)) sum = ctx.graph.node('Add', [sum, next], ctx.layer.name);
  return sum;
}

/** TF flattens NHWC in row-major order: go back to NHWC first so the vector's order matches. */
function flatten(ctx: LayerContext): string {
  const input =
    ctx.inputShapes[0]!.length === 4 ? ctx.graph.toNhwc(ctx.inputs[0]!, `${ctx.layer.name}_nhwc`) : ctx.inputs[0]!;
  return ctx.graph.node('Flatten', [input], ctx.layer.name, [attr.int('axis', 1)]);
}

function l2Normalize(ctx: LayerContext): string {
  const { graph, layer } = ctx;
  const sumSquares = graph.node('ReduceSumSquare', [ctx.inputs[0]!], `${layer.name}_sumsq`, [
    attr.ints('axes', [-1]),
    attr.int('keepdims', 1),
  ]);
  const clamped = graph.node('Max', [sumSquares, graph.scalar(`${layer.name}_eps`, L2_EPSILON)], `${layer.name}_clamp`);
  const norm = graph.node('Sqrt', [clamped], `${layer.name}_norm`);
  return graph.node('Div', [ctx.inputs[0]!, norm], layer.name);
}

function activationLayer(ctx: LayerContext): string {
  return applyActivation(
    ctx.graph,
    ctx.inputs[0]!,
    ctx.config.activation,
    ctx.layer.name,
    ctx.inputShapes[0]!.length === 4 ? 1 : -1,
  );
}

const CONVERTERS: Record<string, (ctx: LayerContext) => string> = {
  Conv2D: (ctx) => conv(ctx, false),
  DepthwiseConv2D: (ctx) => conv(ctx, true),
  BatchNormalization: batchNorm,
  ReLU: relu,
  Activation: activationLayer,
  MaxPooling2D: (ctx) => pool(ctx, 'MaxPool'),
  AveragePooling2D: (ctx) => pool(ctx, 'AveragePool'),
  GlobalAveragePooling2D: (ctx) => globalPool(ctx, 'GlobalAveragePool'),
  GlobalMaxPooling2D: (ctx) => globalPool(ctx, 'GlobalMaxPool'),
  Dense: dense,
  UpSampling2D: upSampling,
  Concatenate: concatenate,
  Add: add,
  Flatten: flatten,
  LoupeL2Normalize: l2Normalize,
  Dropout: (ctx) => ctx.inputs[0]!,
};

export function convertLayer(ctx: LayerContext): string {
  const className = ctx.layer.getClassName();
  const converter = CONVERTERS[className];
  if (!converter)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Layer "${ctx.layer.name}" (${className}) cannot be expressed in ONNX by Loupe's exporter; supported layers: ${Object.keys(CONVERTERS).join(', ')}.`,
    );
  return converter(ctx);
}
