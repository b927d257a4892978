/**
 * tfjs layers → TFLite operators, NHWC as tfjs already is. Kernels go from TF's [kh, kw, in, out]
 * to TFLite's [out, kh, kw, in]; depthwise kernels [kh, kw, in, m] are already TFLite's
 * [1, kh, kw, in·m] in memory. A batch norm right after a convolution that nothing else reads is
 * folded into its weights (TFLite has no batch-norm operator); any other becomes MUL and ADD.
 * A layer without a converter stops the export with its name and type.
 */
import type * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../../contract/index';
import type { LayerStep } from '../layer-walk';
import { pair, values, weightsOf } from '../onnx-kernels';
import { BuiltinOperator, type TfliteGraph } from './tflite-graph';
import {
  ActivationFunctionType,
  addOptions,
  concatenationOptions,
  conv2dOptions,
  depthwiseOptions,
  fullyConnectedOptions,
  l2NormOptions,
  mulOptions,
  nearestResizeOptions,
  Padding,
  poolOptions,
  reducerOptions,
  reshapeOptions,
  softmaxOptions,
} from './tflite-options';

/** tfjs's BatchNormalization default epsilon, when a config leaves it out. */
const TF_BATCH_NORM_EPSILON = 1e-3;

export interface TfliteLayerContext extends LayerStep<number> {
  graph: TfliteGraph;
  /** Batch-norm layers already folded into the convolution before them. */
  folded: Set<string>;
}

type Convert = (ctx: TfliteLayerContext) => number;

/** The layer's output shape with batch 1: the file's tensors have fixed shapes. */
function outShape(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.map((d, i) => (i === 0 ? 1 : d!));
}

function refuse(layer: tf.layers.Layer, what: string): never {
  throw new LoupeError(
    'INVALID_REQUEST',
    `Layer "${layer.name}" (${layer.getClassName()}) ${what}; the TFLite export cannot express that yet.`,
  );
}

function padding(layer: tf.layers.Layer, config: Record<string, unknown>): Padding {
  if (config.padding === 'same') return Padding.SAME;
  if ((config.padding ?? 'valid') === 'valid') return Padding.VALID;
  return refuse(layer, `uses ${String(config.padding)} padding`);
}

/** The activation ops after a layer whose activation cannot be fused into it. */
function activation(ctx: TfliteLayerContext, input: number, kind: unknown): number {
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

/** The batch norm right after `layer`, when it is its only reader and normalises channels. */
export function foldableBatchNorm(layer: tf.layers.Layer): tf.layers.Layer | null {
  if (layer.outboundNodes.length !== 1) return null;
  const next = layer.outboundNodes[0]!.outboundLayer;
  if (next.getClassName() !== 'BatchNormalization') return null;
  const axis = (next.getConfig() as { axis?: number | number[] }).axis;
  const a = Array.isArray(axis) ? axis[0] : axis;
  return a === -1 || a === 3 ? next : null;
}

/** Per-channel scale and shift of a batch norm in inference mode. */
export function batchNormAffine(layer: tf.layers.Layer): { scale: Float32Array; shift: Float32Array } {
  const w = weightsOf(layer);
  const mean = values(w.get('moving_mean')!);
  const variance = values(w.get('moving_variance')!);
  const gamma = w.get('gamma') ? values(w.get('gamma')!) : null;
  const beta = w.get('beta') ? values(w.get('beta')!) : null;
  const epsilon = ((layer.getConfig() as { epsilon?: number }).epsilon ?? TF_BATCH_NORM_EPSILON) as number;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

function fusedActivation(kind: unknown): ActivationFunctionType | null {
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

function conv(ctx: TfliteLayerContext, depthwise: boolean): number {
  const { graph, layer, config } = ctx;
  const w = weightsOf(layer);
  const kernel = w.get(depthwise ? 'depthwise_kernel' : 'kernel')!;
  const [kh, kw, cin, m] = kernel.shape as [number, number, number, number];
  const src = values(kernel);
  const cout = depthwise ? cin * m : m;
  // TFLite kernels: [out, kh, kw, in] for CONV_2D; depthwise is [1, kh, kw, in·m], TF's own order.
  const data = new Float32Array(src.length);
  if (depthwise) data.set(src);
  else
    for (let i = 0; i < kh * kw; i++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) data[(o * kh * kw + i) * cin + c] = src[(i * cin + c) * cout + o]!;
  const bias = w.get('bias') ? Float32Array.from(values(w.get('bias')!)) : new Float32Array(cout);
  const bn = foldableBatchNorm(layer);
  if (bn && (config.activation ?? 'linear') === 'linear') {
    const { scale, shift } = batchNormAffine(bn);
    const perOut = data.length / cout;
    for (let o = 0; o < cout; o++) {
      bias[o] = bias[o]! * scale[o]! + shift[o]!;
      // The output channel is the slowest axis of a CONV_2D kernel and the fastest of a depthwise one.
      for (let k = 0; k < perOut; k++) {
        const index = depthwise ? k * cout + o : o * perOut + k;
        data[index] = data[index]! * scale[o]!;
      }
    }
    ctx.folded.add(bn.name);
  }
  const fused = fusedActivation(config.activation);
  const window = {
    padding: padding(layer, config),
    strides: pair(config.strides, 1),
    dilations: pair(config.dilationRate, 1),
    activation: fused ?? ActivationFunctionType.NONE,
  };
  const weights = graph.float(`${layer.name}_kernel`, depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cin], data);
  const biasTensor = graph.float(`${layer.name}_bias`, [cout], bias);
  const y = graph.op(
    depthwise ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D,
    [ctx.inputs[0]!, weights, biasTensor],
    layer.name,
    outShape(layer),
    depthwise ? depthwiseOptions({ ...window, multiplier: m }) : conv2dOptions(window),
  );
  return fused === null ? activation(ctx, y, config.activation) : y;
}

function batchNorm(ctx: TfliteLayerContext): number {
  const { graph, layer } = ctx;
  if (ctx.folded.has(layer.name)) return ctx.inputs[0]!;
  const axis = (ctx.config.axis ?? -1) as number | number[];
  const a = Array.isArray(axis) ? axis[0] : axis;
  if (a !== -1 && a !== ctx.inputShapes[0]!.length - 1) refuse(layer, `normalises over axis ${String(a)}`);
  const { scale, shift } = batchNormAffine(layer);
  const shape = outShape(layer);
  const scaled = graph.op(
    BuiltinOperator.MUL,
    [ctx.inputs[0]!, graph.float(`${layer.name}_scale`, [scale.length], scale)],
    `${layer.name}_mul`,
    shape,
    mulOptions(),
  );
  return graph.op(
    BuiltinOperator.ADD,
    [scaled, graph.float(`${layer.name}_shift`, [shift.length], shift)],
    layer.name,
    shape,
    addOptions(),
  );
}

function relu(ctx: TfliteLayerContext): number {
  const maxValue = ctx.config.maxValue as number | null | undefined;
  if (maxValue && maxValue !== 6) refuse(ctx.layer, `clips at ${maxValue}`);
  const op = maxValue ? BuiltinOperator.RELU6 : BuiltinOperator.RELU;
  return ctx.graph.op(op, [ctx.inputs[0]!], ctx.layer.name, outShape(ctx.layer));
}

function pool(ctx: TfliteLayerContext, op: BuiltinOperator): number {
  const { config, layer } = ctx;
  const filter = pair(config.poolSize, 2);
  const strides = pair(config.strides ?? config.poolSize, 2);
  // TFLite's average pooling with SAME padding divides by the pixels inside the image, as TF does.
  const options = poolOptions({ padding: padding(layer, config), strides, filter });
  return ctx.graph.op(op, [ctx.inputs[0]!], layer.name, outShape(layer), options);
}

/** Global pooling as a pool over the whole image, then [1, 1, 1, C] → [1, C]. */
function globalPool(ctx: TfliteLayerContext, op: BuiltinOperator): number {
  const { graph, layer } = ctx;
  const [, h, w, c] = ctx.inputShapes[0]! as [number, number, number, number];
  if (op === BuiltinOperator.MEAN)
    return graph.op(
      op,
      [ctx.inputs[0]!, graph.int32(`${layer.name}_axes`, [1, 2])],
      layer.name,
      [1, c],
      reducerOptions(false),
    );
  const options = poolOptions({ padding: Padding.VALID, strides: [1, 1], filter: [h, w] });
  const pooled = graph.op(op, [ctx.inputs[0]!], `${layer.name}_pool`, [1, 1, 1, c], options);
  return reshape(graph, pooled, layer.name, [1, c]);
}

function reshape(graph: TfliteGraph, input: number, name: string, shape: number[]): number {
  // The target shape both as the second input (current readers) and as options (older ones).
  const target = graph.int32(`${name}_shape`, shape);
  return graph.op(BuiltinOperator.RESHAPE, [input, target], name, shape, reshapeOptions(shape));
}

function dense(ctx: TfliteLayerContext): number {
  const { graph, layer, config } = ctx;
  if (ctx.inputShapes[0]!.length !== 2) refuse(layer, `is a Dense layer on a ${ctx.inputShapes[0]!.length}-D input`);
  const w = weightsOf(layer);
  const kernel = w.get('kernel')!;
  const [cin, cout] = kernel.shape as [number, number];
  const src = values(kernel);
  // FULLY_CONNECTED weights are [out, in].
  const data = new Float32Array(src.length);
  for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[o * cin + i] = src[i * cout + o]!;
  const bias = w.get('bias') ? values(w.get('bias')!) : new Float32Array(cout);
  const fused = fusedActivation(config.activation);
  const y = graph.op(
    BuiltinOperator.FULLY_CONNECTED,
    [
      ctx.inputs[0]!,
      graph.float(`${layer.name}_kernel`, [cout, cin], data),
      graph.float(`${layer.name}_bias`, [cout], bias),
    ],
    layer.name,
    [1, cout],
    fullyConnectedOptions(fused ?? ActivationFunctionType.NONE),
  );
  return fused === null ? activation(ctx, y, config.activation) : y;
}

function upSampling(ctx: TfliteLayerContext): number {
  const { graph, layer, config } = ctx;
  if ((config.interpolation ?? 'nearest') !== 'nearest') refuse(layer, 'upsamples bilinearly');
  const shape = outShape(layer);
  const size = graph.int32(`${layer.name}_size`, [shape[1]!, shape[2]!]);
  return graph.op(
    BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
    [ctx.inputs[0]!, size],
    layer.name,
    shape,
    nearestResizeOptions(),
  );
}

function concatenate(ctx: TfliteLayerContext): number {
  const rank = ctx.inputShapes[0]!.length;
  const axis = (ctx.config.axis as number | undefined) ?? -1;
  const options = concatenationOptions(axis < 0 ? axis + rank : axis);
  return ctx.graph.op(BuiltinOperator.CONCATENATION, ctx.inputs, ctx.layer.name, outShape(ctx.layer), options);
}

function add(ctx: TfliteLayerContext): number {
  const shape = outShape(ctx.layer);
  let sum = ctx.inputs[0]!;
  for (const next of ctx.inputs.slice(1))
    sum = ctx.graph.op(BuiltinOperator.ADD, [sum, next], ctx.layer.name, shape, addOptions());
  return sum;
}

const CONVERTERS: Record<string, Convert> = {
  Conv2D: (ctx) => conv(ctx, false),
  DepthwiseConv2D: (ctx) => conv(ctx, true),
  BatchNormalization: batchNorm,
  ReLU: relu,
  Activation: (ctx) => activation(ctx, ctx.inputs[0]!, ctx.config.activation),
  MaxPooling2D: (ctx) => pool(ctx, BuiltinOperator.MAX_POOL_2D),
  AveragePooling2D: (ctx) => pool(ctx, BuiltinOperator.AVERAGE_POOL_2D),
  GlobalAveragePooling2D: (ctx) => globalPool(ctx, BuiltinOperator.MEAN),
  GlobalMaxPooling2D: (ctx) => globalPool(ctx, BuiltinOperator.MAX_POOL_2D),
  Dense: dense,
  UpSampling2D: upSampling,
  Concatenate: concatenate,
  Add: add,
  // NHWC flattens in the same row-major order in tfjs and TFLite.
  Flatten: (ctx) => reshape(ctx.graph, ctx.inputs[0]!, ctx.layer.name, outShape(ctx.layer)),
  // TFLite's L2_NORMALIZATION runs over the last axis, as tf.math.l2_normalize does here.
  LoupeL2Normalize: (ctx) =>
    ctx.graph.op(
      BuiltinOperator.L2_NORMALIZATION,
      [ctx.inputs[0]!],
      ctx.layer.name,
      outShape(ctx.layer),
      l2NormOptions(),
    ),
  Dropout: (ctx) => ctx.inputs[0]!,
};

export function convertTfliteLayer(ctx: TfliteLayerContext): number {
  const convert = CONVERTERS[ctx.layer.getClassName()];
  if (!convert)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Layer "${ctx.layer.name}" (${ctx.layer.getClassName()}) cannot be expressed in TFLite by this version of Loupe; export this run as ONNX or TF.js instead.`,
    );
  return convert(ctx);
}
