/**
 * Convolutions (forward, input and filter gradients; grouped for depthwise; dilated; the input
 * gradient is also conv2dTranspose's forward pass) and matrix products on oneDNN, on the tensors'
 * own memory: the addon reads and writes them in place.
 */
import * as tf from '@tensorflow/tfjs';
import type { OneDnnBackend } from './native-backend';
import { type Info, type Shape4 } from '../wasm-kernels/wasm-calls';
import { addon, nativeKernel, type NativeKernel } from './native-kernel';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

const enum ConvOp {
  Forward = 0,
  InputGradient = 1,
  FilterGradient = 2,
}

function convParams(info: Conv2DInfo, groups: number, hasBias: boolean, relu: boolean): Int32Array {
  const { padInfo: p } = info;
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.bottom,
    p.left,
    p.right,
    groups,
    hasBias ? 1 : 0,
    relu ? 1 : 0,
  ]);
}

function isNhwc(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Runs one convolution op into a new output of `outShape`; views are taken after the allocation. */
function runConv(
  backend: OneDnnBackend,
  op: ConvOp,
  a: Info,
  b: Info,
  outShape: number[],
  params: Int32Array,
  bias?: Info,
): Info {
  const out = backend.makeOutput(outShape, 'float32');
  const biasView = bias ? backend.floats(bias) : undefined;
  addon().conv(op, backend.floats(a), backend.floats(b), backend.floats(out), params, biasView);
  return out;
}

const conv2D = nativeKernel(tf.Conv2D, ({ inputs, attrs }, backend) => {
  const { x, filter } = inputs as { x: Info; filter: Info };
  const a = attrs as unknown as tf.Conv2DAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
  );
  return runConv(backend, ConvOp.Forward, x, filter, info.outShape, convParams(info, 1, false, false));
});

const fusedConv2D = nativeKernel(tf.FusedConv2D, ({ inputs, attrs }, backend) => {
  const { x, filter, bias } = inputs as { x: Info; filter: Info; bias?: Info };
  const a = attrs as unknown as tf.FusedConv2DAttrs;
  const activation = a.activation ?? 'linear';
  if (!isNhwc(a.dataFormat) || (activation !== 'linear' && activation !== 'relu')) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
  );
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return null;
  return runConv(
    backend,
    ConvOp.Forward,
    x,
    filter,
    info.outShape,
    convParams(info, 1, bias !== undefined, activation === 'relu'),
    bias,
  );
});

const conv2DBackpropInput = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, attrs }, backend) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as Shape4,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  return runConv(backend, ConvOp.InputGradient, dy, filter, [...a.inputShape], convParams(info, 1, false, false));
});

const conv2DBackpropFilter = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, attrs }, backend) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  return runConv(backend, ConvOp.FilterGradient, x, dy, [...a.filterShape], convParams(info, 1, false, false));
});

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  a: {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: tf.DepthwiseConv2dNativeAttrs['pad'];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
}

const depthwise = nativeKernel(tf.DepthwiseConv2dNative, ({ inputs, attrs }, backend) => {
  const { x, filter } = inputs as { x: Info; filter: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = depthwiseInfo(x.shape, filter.shape, a);
  return runConv(backend, ConvOp.Forward, x, filter, info.outShape, convParams(info, info.inChannels, false, false));
});

const depthwiseBackpropInput = nativeKernel(tf.DepthwiseConv2dNativeBackpropInput, ({ inputs, attrs }, backend) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = depthwiseInfo(a.inputShape, filter.shape, a);
  return runConv(
    backend,
    ConvOp.InputGradient,
    dy,
    filter,
    [...a.inputShape],
    convParams(info, info.inChannels, false, false),
  );
});

const depthwiseBackpropFilter = nativeKernel(tf.DepthwiseConv2dNativeBackpropFilter, ({ inputs, attrs }, backend) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(x.shape, a.filterShape, a);
  return runConv(
    backend,
    ConvOp.FilterGradient,
    x,
    dy,
    [...a.filterShape],
    convParams(info, info.inChannels, false, false),
  );
});

/** Batch sizes of a product's operands, or null when their batch shapes broadcast in a way oneDNN is not given here. */
function productShape(
  a: Info,
  b: Info,
  transposeA: boolean,
  transposeB: boolean,
): { params: number[]; outShape: number[] } | null {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const countA = batchA.reduce((p, d) => p * d, 1);
  const countB = batchB.reduce((p, d) => p * d, 1);
  const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!sameBatch && countA !== 1 && countB !== 1) return null;
  const [m, k] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const batch = countA >= countB ? batchA : batchB;
  return { params: [countA, countB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0], outShape: [...batch, m, n] };
}

function runProduct(
  backend: OneDnnBackend,
  a: Info,
  b: Info,
  shape: { params: number[]; outShape: number[] },
  bias: Info | undefined,
  relu: boolean,
): Info {
  const out = backend.makeOutput(shape.outShape, 'float32');
  const params = Int32Array.from([...shape.params, bias ? 1 : 0, relu ? 1 : 0]);
  addon().matmul(
    backend.floats(a),
    backend.floats(b),
    backend.floats(out),
    params,
    bias ? backend.floats(bias) : undefined,
  );
  return out;
}

const batchMatMul = nativeKernel(tf.BatchMatMul, ({ inputs, attrs }, backend) => {
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const shape = productShape(a, b, transposeA, transposeB);
  return shape && runProduct(backend, a, b, shape, undefined, false);
});

const fusedMatMul = nativeKernel(tf._FusedMatMul, ({ inputs, attrs }, backend) => {
  const { a, b, bias } = inputs as { a: Info; b: Info; bias?: Info };
  const attr = attrs as unknown as tf._FusedMatMulAttrs;
  const activation = attr.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  const shape = productShape(a, b, attr.transposeA, attr.transposeB);
  if (!shape || (bias && (bias.shape.length !== 1 || bias.shape[0] !== shape.outShape.at(-1)))) return null;
  return runProduct(backend, a, b, shape, bias, activation === 'relu');
});

export const CONV_KERNELS: readonly NativeKernel[] = [
  conv2D,
  fusedConv2D,
  conv2DBackpropInput,
  conv2DBackpropFilter,
  depthwise,
  depthwiseBackpropInput,
  depthwiseBackpropFilter,
  batchMatMul,
  fusedMatMul,
];
