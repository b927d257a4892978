/**
 * The remaining ops of the reference models' training steps, on the addon (tensor_ops.cc):
 * reductions over any axes (softmax and loss sums, Max of log-softmax), Tile and Pack/Unpack
 * (batch-norm gradients, GIoU boxes), one-hot targets, max pooling, nearest-neighbour upsampling
 * and its gradient (U-Net and detector decoders), and batch normalisation's forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { OneDnnBackend } from './native-backend';
import { type Info, type Shape4 } from '../wasm-kernels/wasm-calls';
import { addon, nativeKernel, type NativeKernel } from './native-kernel';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** ReduceOp of tensor_ops.h. */
const enum ReduceOp {
  Sum = 0,
  Mean,
  Max,
  Min,
  Prod,
}

/** Reduces float32 `x` over `axes` into a new output (keepDims keeps them as 1s). */
export function runReduce(backend: OneDnnBackend, op: ReduceOp, x: Info, axes: number[], keepDims: boolean): Info {
  const reduced = x.shape.map((_, d) => axes.includes(d));
  const outShape = keepDims ? x.shape.map((n, d) => (reduced[d] ? 1 : n)) : x.shape.filter((_, d) => !reduced[d]);
  const out = backend.makeOutput(outShape, 'float32');
  const params = Int32Array.from([x.shape.length, ...x.shape, ...reduced.map((r) => (r ? 1 : 0))]);
  addon().reduce(op, backend.floats(x), backend.floats(out), params);
  return out;
}

/** Sum, Mean, Max, Min and Prod of float32 tensors over any axes. */
export function reduceKernel(kernelName: string, op: ReduceOp): NativeKernel {
  return nativeKernel(kernelName, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: Info };
    const a = attrs as unknown as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || x.shape.length > 8 || sizeOf(x.shape) === 0) return null;
    const axes = tf.util.parseAxisParam(a.axis ?? a.reductionIndices ?? [], x.shape);
    return runReduce(backend, op, x, axes, a.keepDims);
  });
}

const tile = nativeKernel(tf.Tile, ({ inputs, attrs }, backend) => {
  const { x } = inputs as { x: Info };
  const { reps } = attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length > 8) return null;
  const outShape = x.shape.map((n, d) => n * reps[d]!);
  const out = backend.makeOutput(outShape, x.dtype);
  const strides = tf.util.computeStrides(x.shape).concat(x.shape.length ? [1] : []);
  addon().tile(
    backend.view(x),
    backend.view(out),
    Int32Array.from([outShape.length, ...outShape, ...strides, ...x.shape]),
  );
  return out;
});

/** Pack: a concat of the inputs along a new axis. */
const pack = nativeKernel(tf.Pack, ({ inputs, attrs }, backend) => {
  const parts = inputs as unknown as Info[];
  const { axis } = attrs as unknown as tf.PackAttrs;
  const first = parts[0];
  if (!first || parts.some((t) => t.dtype !== 'float32') || sizeOf(first.shape) === 0) return null;
  const at = axis < 0 ? axis + first.shape.length + 1 : axis;
  const outShape = [...first.shape.slice(0, at), parts.length, ...first.shape.slice(at)];
  const out = backend.makeOutput(outShape, 'float32');
  const inner = sizeOf(first.shape.slice(at));
  addon().concat(
    parts.map((t) => backend.floats(t)),
    Int32Array.from(parts.map(() => inner)),
    backend.floats(out),
    sizeOf(first.shape.slice(0, at)),
  );
  return out;
});

/** Unpack: a split into parts of one along the axis, which each part drops. */
const unpack = nativeKernel(tf.Unpack, ({ inputs, attrs }, backend) => {
  const { value } = inputs as { value: Info };
  const { axis } = attrs as unknown as tf.UnpackAttrs;
  if (value.dtype !== 'float32' || sizeOf(value.shape) === 0) return null;
  const at = axis < 0 ? axis + value.shape.length : axis;
  const partShape = value.shape.filter((_, d) => d !== at);
  const parts = Array.from({ length: value.shape[at]! }, () => backend.makeOutput(partShape, 'float32'));
  const inner = sizeOf(value.shape.slice(at + 1));
  // Views after every allocation: growing the heap detaches earlier ones.
  addon().split(
    backend.floats(value),
    parts.map((t) => backend.floats(t)),
    Int32Array.from(parts.map(() => inner)),
    sizeOf(value.shape.slice(0, at)),
  );
  return parts;
});

const oneHot = nativeKernel(tf.OneHot, ({ inputs, attrs }, backend) => {
  const { indices } = inputs as { indices: Info };
  const { depth, onValue, offValue, dtype } = attrs as unknown as tf.OneHotAttrs;
  if (indices.dtype !== 'int32' || (dtype !== 'float32' && dtype !== 'int32')) return null;
  const out = backend.makeOutput([...indices.shape, depth], dtype);
  addon().oneHot(backend.view(indices) as Int32Array, backend.view(out), depth, onValue, offValue);
  return out;
});

const maxPool = nativeKernel(tf.MaxPool, ({ inputs, attrs }, backend) => {
  const { x } = inputs as { x: Info };
  const a = attrs as unknown as tf.MaxPoolAttrs;
  if (x.dtype !== 'float32') return null;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const y = backend.makeOutput(info.outShape, 'float32');
  const params = Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.effectiveFilterHeight,
    info.effectiveFilterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
  addon().maxPool(backend.floats(x), backend.floats(y), params);
  return y;
});

function resizeParams(inShape: readonly number[], outShape: readonly number[], a: tf.ResizeNearestNeighborAttrs) {
  return Int32Array.from([
    inShape[0]!,
    inShape[1]!,
    inShape[2]!,
    inShape[3]!,
    outShape[1]!,
    outShape[2]!,
    a.alignCorners ? 1 : 0,
    a.halfPixelCenters ? 1 : 0,
  ]);
}

const resizeNearest = nativeKernel(tf.ResizeNearestNeighbor, ({ inputs, attrs }, backend) => {
  const { images } = inputs as { images: Info };
  const a = attrs as unknown as tf.ResizeNearestNeighborAttrs;
  if (images.dtype !== 'float32' || images.shape.length !== 4) return null;
  const outShape = [images.shape[0]!, a.size[0], a.size[1], images.shape[3]!];
  const y = backend.makeOutput(outShape, 'float32');
  addon().resizeNearest(backend.floats(images), backend.floats(y), resizeParams(images.shape, outShape, a), 0);
  return y;
});

const resizeNearestGrad = nativeKernel(tf.ResizeNearestNeighborGrad, ({ inputs, attrs }, backend) => {
  const { images, dy } = inputs as { images: Info; dy: Info };
  const a = attrs as unknown as tf.ResizeNearestNeighborAttrs;
  if (dy.dtype !== 'float32' || images.shape.length !== 4) return null;
  const dx = backend.makeOutput(images.shape, 'float32');
  addon().resizeNearest(backend.floats(dy), backend.floats(dx), resizeParams(images.shape, dy.shape, a), 1);
  return dx;
});

export const LAYER_KERNELS: readonly NativeKernel[] = [
  reduceKernel(tf.Max, ReduceOp.Max),
  reduceKernel(tf.Min, ReduceOp.Min),
  reduceKernel(tf.Prod, ReduceOp.Prod),
  tile,
  pack,
  unpack,
  oneHot,
  maxPool,
  resizeNearest,
  resizeNearestGrad,
];

export { ReduceOp };
