/**
 * Convolutions, dense layers and batch norms as TFLite operators. Kernels go from TF's
 * [kh, kw, in, out] to TFLite's [out, kh, kw, in]; depthwise kernels [kh, kw, in, m] are already
 * TFLite's [1, kh, kw, in·m] in memory. A batch norm right after a convolution that nothing else
 * reads is folded into its weights (TFLite has no batch-norm operator); any other becomes MUL and ADD.
 */
import type * as tf from '@tensorflow/tfjs';
import { pair, values, weightsOf } from '../onnx-kernels';
import { BuiltinOperator } from './tflite-graph';
import { activation, fusedActivation, outShape, padding, refuse, type TfliteLayerContext } from './tflite-layer-common';
import {
  ActivationFunctionType,
  addOptions,
  conv2dOptions,
  depthwiseOptions,
  fullyConnectedOptions,
  mulOptions,
} from './tflite-options';

/** tfjs's BatchNormalization default epsilon, when a config leaves it out. */
const TF_BATCH_NORM_EPSILON = 1e-3;
/** The batch norm right after `layer`, when it is its only reader and normalises channels. */
export function foldableBatchNorm(layer: tf.layers.Layer): tf.layers.Layer | null {
  if (layer.outboundNodes.length !== 1) return null;
  const next = layer.outboundNodes[0]!.outboundLayer;
  if (next.getClassName() !== 'BatchNormalization') return null;
  const axis = (next.getConfig() as { axis?: number | number[] }).axis;
  const a = Array.isArray(axis) ? axis[0] : axis;
  return a === -1 || a === 3 ? next : null;
}

/** The ReLU (or ReLU6) layer right after `layer`, when it is its only reader: TFLite fuses it into the op. */
function fusableReLU(layer: tf.layers.Layer): { layer: tf.layers.Layer; activation: ActivationFunctionType } | null {
  if (layer.outboundNodes.length !== 1) return null;
  const next = layer.outboundNodes[0]!.outboundLayer;
  if (next.getClassName() !== 'ReLU') return null;
  const maxValue = (next.getConfig() as { maxValue?: number | null }).maxValue;
  if (!maxValue) return { layer: next, activation: ActivationFunctionType.RELU };
  return maxValue === 6 ? { layer: next, activation: ActivationFunctionType.RELU6 } : null;
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

export function conv(ctx: TfliteLayerContext, depthwise: boolean): number {
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
  let fused = fusedActivation(config.activation);
  const relu = fused === ActivationFunctionType.NONE ? fusableReLU(bn && ctx.folded.has(bn.name) ? bn : layer) : null;
  if (relu) {
    fused = relu.activation;
    ctx.folded.add(relu.layer.name);
  }
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

export function batchNorm(ctx: TfliteLayerContext): number {
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

export function dense(ctx: TfliteLayerContext): number {
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
