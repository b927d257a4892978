/**
 * tfjs layers → TFLite operators, NHWC as tfjs already is; convolutions, dense layers and batch
 * norms are in tflite-conv.ts. A layer without a converter stops the export with its name and type.
 */
import { LoupeError } from '../../../contract/index';
import { pair } from '../onnx-kernels';
import { BuiltinOperator, type TfliteGraph } from './tflite-graph';
import { batchNorm, conv, dense } from './tflite-conv';
import { activation, outShape, padding, refuse, type Convert, type TfliteLayerContext } from './tflite-layer-common';
import {
  addOptions,
  concatenationOptions,
  l2NormOptions,
  nearestResizeOptions,
  Padding,
  poolOptions,
  reducerOptions,
  reshapeOptions,
} from './tflite-options';

export type { TfliteLayerContext } from './tflite-layer-common';

function relu(ctx: TfliteLayerContext): number {
  if (ctx.folded.has(ctx.layer.name)) return ctx.inputs[0]!;
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
