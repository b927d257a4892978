/**
 * The memory-bound kernels of a training step, on the addon's multi-threaded loops
 * (native/onednn/memory_ops.cc): on wasm they are single-threaded JavaScript (Concat, Loupe's
 * MaxPoolGrad and leading-axes Sum/Mean) or slice-by-slice copies (SplitV), and after the
 * convolutions moved to oneDNN they were the largest part of a U-Net step (tf.profile).
 */
import * as tf from '@tensorflow/tfjs';
import { leadingAxes } from '../wasm-kernels/reduce-leading-axes';
import { type Info, type Shape4 } from '../wasm-kernels/wasm-calls';
import { runReduce, ReduceOp } from './layer-kernels';
import { addon, nativeKernel, type NativeKernel } from './native-kernel';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Sum and Mean: over leading axes (bias gradients, batch-norm moments) by rows, other axes by the general reduction. */
function reduceLeading(kernelName: string, mean: boolean): NativeKernel {
  return nativeKernel(kernelName, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: Info };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const lead = leadingAxes(axis, x.shape.length);
    if (x.dtype !== 'float32' || sizeOf(x.shape) === 0 || x.shape.length > 8) return null;
    if (lead === 0)
      return runReduce(
        backend,
        mean ? ReduceOp.Mean : ReduceOp.Sum,
        x,
        tf.util.parseAxisParam(axis, x.shape),
        keepDims,
      );
    const rows = sizeOf(x.shape.slice(0, lead));
    const kept = x.shape.slice(lead);
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, lead).map(() => 1), ...kept] : kept, 'float32');
    addon().sumRows(backend.floats(x), backend.floats(out), rows, sizeOf(kept), mean ? 1 / rows : 1);
    return out;
  });
}

const maxPoolGrad = nativeKernel(tf.MaxPoolGrad, ({ inputs, attrs }, backend) => {
  const { dy, input } = inputs as { dy: Info; input: Info };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
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
  addon().maxPoolGrad(backend.floats(input), backend.floats(dy), backend.floats(dx), params);
  return dx;
});

const concat = nativeKernel(tf.Concat, ({ inputs, attrs }, backend) => {
  const parts = (inputs as unknown as Info[]).filter((t) => sizeOf(t.shape) > 0);
  if (parts.length < 2 || parts.some((t) => t.dtype !== 'float32')) return null;
  const axis = tf.util.parseAxisParam((attrs as unknown as tf.ConcatAttrs).axis, parts[0]!.shape)[0]!;
  const outShape = tf.backend_util.computeOutShape(
    parts.map((t) => t.shape),
    axis,
  );
  const out = backend.makeOutput(outShape, 'float32');
  const inner = Int32Array.from(parts.map((t) => sizeOf(t.shape.slice(axis))));
  addon().concat(
    parts.map((t) => backend.floats(t)),
    inner,
    backend.floats(out),
    sizeOf(outShape.slice(0, axis)),
  );
  return out;
});

const splitV = nativeKernel(tf.SplitV, ({ inputs, attrs }, backend) => {
  const { x } = inputs as { x: Info };
  const a = attrs as unknown as tf.SplitVAttrs;
  if (x.dtype !== 'float32') return null;
  const axis = tf.util.parseAxisParam(a.axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, a.numOrSizeSplits, axis);
  const parts = sizes.map((size) => {
    const shape = [...x.shape];
    shape[axis] = size;
    return backend.makeOutput(shape, 'float32');
  });
  const inner = Int32Array.from(parts.map((t) => sizeOf(t.shape.slice(axis))));
  // Views after every allocation: growing the heap detaches earlier ones.
  addon().split(
    backend.floats(x),
    parts.map((t) => backend.floats(t)),
    inner,
    sizeOf(x.shape.slice(0, axis)),
  );
  return parts;
});

/**
 * Identity shares its input's buffer, as tfjs's cpu backend does (wasm copies it): every ReLU
 * gradient casts float32 to float32 through it, a full copy of each activation per step. Sharing
 * is safe because no kernel writes into an input; variables are reassigned, never written in place.
 */
const identity = nativeKernel(tf.Identity, ({ inputs }, backend) => {
  const { x } = inputs as { x: Info };
  if (x.dtype === 'string') return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});

/** Reshape is a view: the same buffer under another shape (as on wasm). */
const reshape = nativeKernel(tf.Reshape, ({ inputs, attrs }, backend) => {
  const { x } = inputs as { x: Info };
  const { shape } = attrs as unknown as tf.ReshapeAttrs;
  backend.incRef(x.dataId);
  return {
    dataId: x.dataId,
    shape: tf.util.inferFromImplicitShape(shape, tf.util.sizeFromShape(x.shape)),
    dtype: x.dtype,
  };
});

export const MEMORY_KERNELS: readonly NativeKernel[] = [
  reduceLeading(tf.Sum, false),
  reduceLeading(tf.Mean, true),
  maxPoolGrad,
  concat,
  splitV,
  identity,
  reshape,
];
