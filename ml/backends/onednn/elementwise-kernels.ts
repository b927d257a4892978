/**
 * Element-wise ops of a training step on the addon (native/onednn/tensor_ops.cc): maps (ReLU and
 * its Step, the optimiser's and losses' Square, Sqrt, Exp, Log, …, casts, fills) and binary ops
 * with any NumPy broadcast (arithmetic, Maximum/Minimum, comparisons, logical and/or, Select).
 * Shape-only cases share the input's buffer: a Cast to the same dtype is a view.
 */
import * as tf from '@tensorflow/tfjs';
import { RELU6_GRAD, RELU_GRAD } from '../lean-gradients';
import { ONEDNN_TFJS_NAME, type OneDnnBackend } from './native-backend';
import type { Info } from '../wasm-kernels/wasm-calls';
import { addon, nativeKernel, recordNative, type NativeKernel } from './native-kernel';

/** The addon's largest rank (tensor_ops.h MAX_RANK). */
const MAX_RANK = 8;

const NUMERIC = new Set(['float32', 'int32', 'bool']);

/** Element strides of `shape` read as `outShape` (right-aligned; 0 where it broadcasts). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = outShape.length - shape.length + i;
    strides[d] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Walk params: rank, out shape, then each input's strides. */
export function walkParams(outShape: readonly number[], inputs: readonly (readonly number[])[]): Int32Array {
  return Int32Array.from([
    outShape.length,
    ...outShape,
    ...inputs.flatMap((shape) => broadcastStrides(shape, outShape)),
  ]);
}

/** MapOp of tensor_ops.h. */
export const enum MapOp {
  Neg = 0,
  Square,
  Sqrt,
  Rsqrt,
  Exp,
  Log,
  Sigmoid,
  Softplus,
  Abs,
  Clip,
  Fill,
  Relu,
  Step,
  Relu6,
  Reciprocal,
  Copy,
}

/** ZipOp of tensor_ops.h. */
const enum ZipOp {
  Add = 0,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Pow,
  SquaredDifference,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  Equal,
  NotEqual,
  LogicalAnd,
  LogicalOr,
  ReluGrad,
  Relu6Grad,
}

/** Runs a map into a new output of `dtype`; null (hand over) for dtypes the addon does not read. */
export function runMap(
  backend: OneDnnBackend,
  op: MapOp,
  x: Info,
  dtype: tf.DataType,
  alpha = 0,
  beta = 0,
): Info | null {
  if (!NUMERIC.has(x.dtype) || !NUMERIC.has(dtype)) return null;
  const out = backend.makeOutput(x.shape, dtype);
  addon().map(op, backend.view(x), backend.view(out), alpha, beta);
  return out;
}

function mapKernel(
  kernelName: string,
  op: MapOp,
  constants: (attrs: tf.NamedAttrMap) => [number, number] = () => [0, 0],
): NativeKernel {
  return nativeKernel(kernelName, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: Info };
    if (x.dtype !== 'float32') return null;
    return runMap(backend, op, x, 'float32', ...constants(attrs ?? {}));
  });
}

function zipKernel(kernelName: string, op: ZipOp, output: 'float32' | 'bool', input: 'float32' | 'bool'): NativeKernel {
  return nativeKernel(kernelName, ({ inputs }, backend) => {
    const { a, b } = inputs as { a: Info; b: Info };
    if (a.dtype !== input || b.dtype !== input) return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (outShape.length > MAX_RANK) return null;
    const out = backend.makeOutput(outShape, output);
    addon().zip(op, backend.view(a), backend.view(b), backend.view(out), walkParams(outShape, [a.shape, b.shape]));
    return out;
  });
}

const select = nativeKernel(tf.Select, ({ inputs }, backend) => {
  const { condition, t, e } = inputs as { condition: Info; t: Info; e: Info };
  // tf.where broadcasts all three to one shape first; another call (a rank-1 row condition) hands over.
  const same = (s: number[]) => s.length === t.shape.length && s.every((d, i) => d === t.shape[i]);
  if (condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32') return null;
  if (!same(condition.shape) || !same(e.shape) || t.shape.length > MAX_RANK) return null;
  const out = backend.makeOutput(t.shape, 'float32');
  addon().select(
    backend.view(condition) as Uint8Array,
    backend.floats(t),
    backend.floats(e),
    backend.floats(out),
    walkParams(t.shape, [t.shape, t.shape, t.shape]),
  );
  return out;
});

/** A cast to the same dtype is a view; others convert (float → int truncates, as tfjs). */
const cast = nativeKernel(tf.Cast, ({ inputs, attrs }, backend) => {
  const { x } = inputs as { x: Info };
  const { dtype } = attrs as unknown as tf.CastAttrs;
  if (dtype === x.dtype && x.dtype !== 'string') {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  }
  return runMap(backend, MapOp.Copy, x, dtype);
});

function fillLike(kernelName: string, value: number): NativeKernel {
  return nativeKernel(kernelName, ({ inputs }, backend) => {
    const { x } = inputs as { x: Info };
    return runMap(backend, MapOp.Fill, x, x.dtype, value);
  });
}

const fill = nativeKernel(tf.Fill, ({ attrs }, backend) => {
  const { shape, value, dtype } = attrs as unknown as tf.FillAttrs;
  if (typeof value !== 'number' || !NUMERIC.has(dtype)) return null;
  const out = backend.makeOutput(shape, dtype);
  addon().map(MapOp.Fill, backend.view(out), backend.view(out), value, 0);
  return out;
});

export const ELEMENTWISE_KERNELS: readonly NativeKernel[] = [
  zipKernel(tf.Add, ZipOp.Add, 'float32', 'float32'),
  zipKernel(tf.Sub, ZipOp.Sub, 'float32', 'float32'),
  zipKernel(tf.Multiply, ZipOp.Mul, 'float32', 'float32'),
  zipKernel(tf.RealDiv, ZipOp.Div, 'float32', 'float32'),
  zipKernel(tf.Maximum, ZipOp.Max, 'float32', 'float32'),
  zipKernel(tf.Minimum, ZipOp.Min, 'float32', 'float32'),
  zipKernel(tf.Pow, ZipOp.Pow, 'float32', 'float32'),
  zipKernel(tf.SquaredDifference, ZipOp.SquaredDifference, 'float32', 'float32'),
  zipKernel(tf.Less, ZipOp.Less, 'bool', 'float32'),
  zipKernel(tf.LessEqual, ZipOp.LessEqual, 'bool', 'float32'),
  zipKernel(tf.Greater, ZipOp.Greater, 'bool', 'float32'),
  zipKernel(tf.GreaterEqual, ZipOp.GreaterEqual, 'bool', 'float32'),
  zipKernel(tf.Equal, ZipOp.Equal, 'bool', 'float32'),
  zipKernel(tf.NotEqual, ZipOp.NotEqual, 'bool', 'float32'),
  zipKernel(tf.LogicalAnd, ZipOp.LogicalAnd, 'bool', 'bool'),
  zipKernel(tf.LogicalOr, ZipOp.LogicalOr, 'bool', 'bool'),
  select,
  mapKernel(tf.Neg, MapOp.Neg),
  mapKernel(tf.Square, MapOp.Square),
  mapKernel(tf.Sqrt, MapOp.Sqrt),
  mapKernel(tf.Rsqrt, MapOp.Rsqrt),
  mapKernel(tf.Exp, MapOp.Exp),
  mapKernel(tf.Log, MapOp.Log),
  mapKernel(tf.Sigmoid, MapOp.Sigmoid),
  mapKernel(tf.Softplus, MapOp.Softplus),
  mapKernel(tf.Abs, MapOp.Abs),
  mapKernel(tf.Reciprocal, MapOp.Reciprocal),
  mapKernel(tf.Relu, MapOp.Relu),
  mapKernel(tf.Relu6, MapOp.Relu6),
  mapKernel(tf.Step, MapOp.Step, (attrs) => [(attrs as unknown as tf.StepAttrs).alpha ?? 0, 0]),
  mapKernel(tf.ClipByValue, MapOp.Clip, (attrs) => {
    const a = attrs as unknown as tf.ClipByValueAttrs;
    return [a.clipValueMin, a.clipValueMax];
  }),
  cast,
  fillLike(tf.ZerosLike, 0),
  fillLike(tf.OnesLike, 1),
  fill,
];

/**
 * The gradients of ReLU and ReLU6 in one pass each (lean-gradients.ts asks for them where the
 * backend registers them): dy · step(x) and dy · (x ≤ 6) · step(x); tfjs makes the mask, then the
 * product. No wasm kernels to stand in for, so they are registered only while the addon is on
 * (kernels.ts).
 */
function maskGradient(kernelName: string, op: ZipOp): tf.KernelConfig {
  return {
    kernelName,
    backendName: ONEDNN_TFJS_NAME,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: Info; x: Info };
      if (dy.dtype !== 'float32' || x.dtype !== 'float32' || dy.shape.join() !== x.shape.join())
        throw new Error(`${kernelName} takes dy and x of one shape, float32 (got ${dy.shape} and ${x.shape}).`);
      const native = backend as OneDnnBackend;
      recordNative(kernelName);
      const out = native.makeOutput(x.shape, 'float32');
      // Same shapes: one flat walk, whatever the rank.
      const size = [tf.util.sizeFromShape(x.shape)];
      addon().zip(op, native.view(dy), native.view(x), native.view(out), walkParams(size, [size, size]));
      return out;
    },
  };
}

export const ACTIVATION_GRADIENT_KERNELS: readonly tf.KernelConfig[] = [
  maskGradient(RELU_GRAD, ZipOp.ReluGrad),
  maskGradient(RELU6_GRAD, ZipOp.Relu6Grad),
];
