/**
 * Element-wise ops of a training step on the addon's multi-threaded loops: Add and Multiply of
 * same-shape tensors or of a tensor and a bias over its trailing axes (forward bias adds, gradient
 * sums, ReLU gradients), ReLU, and Step (ReLU's derivative). Other broadcasts, dtypes and Step's
 * non-zero alpha hand over to wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { heapView, type Info } from '../wasm-kernels/wasm-calls';
import { addon, nativeKernel, type NativeKernel } from './native-kernel';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Below this many values an op stays on wasm: handing it to the addon's thread costs more than
 * the op (an optimiser step is hundreds of ops on small weights). Matches the native block size.
 */
const MIN_NATIVE_SIZE = 1 << 14;

/** True when `small` is `big`'s trailing axes (leading 1s ignored): it repeats along big's rows. */
function repeatsAlongRows(big: readonly number[], small: readonly number[]): boolean {
  const trimmed = small.slice(small.findIndex((d) => d !== 1));
  if (trimmed.length > big.length || small.length > big.length) return false;
  return trimmed.every((d, i) => d === big[big.length - trimmed.length + i]);
}

function binaryKernel(kernelName: string, op: 0 | 1): NativeKernel {
  return nativeKernel(kernelName, ({ inputs }, backend) => {
    const { a, b } = inputs as { a: Info; b: Info };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    // Both ops commute: the full-size operand goes first.
    const [full, other] =
      same || repeatsAlongRows(a.shape, b.shape) ? [a, b] : repeatsAlongRows(b.shape, a.shape) ? [b, a] : [null, null];
    if (!full || !other || sizeOf(other.shape) === 0 || sizeOf(full.shape) < MIN_NATIVE_SIZE) return null;
    const out = backend.makeOutput(full.shape, 'float32');
    addon().binary(op, heapView(backend, full), heapView(backend, other), heapView(backend, out), sizeOf(other.shape));
    return out;
  });
}

function unaryKernel(
  kernelName: string,
  op: 0 | 1,
  applies: (attrs: tf.NamedAttrMap | undefined) => boolean,
): NativeKernel {
  return nativeKernel(kernelName, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: Info };
    if (x.dtype !== 'float32' || !applies(attrs) || sizeOf(x.shape) < MIN_NATIVE_SIZE) return null;
    const out = backend.makeOutput(x.shape, 'float32');
    addon().unary(op, heapView(backend, x), heapView(backend, out));
    return out;
  });
}

export const ELEMENTWISE_KERNELS: readonly NativeKernel[] = [
  binaryKernel(tf.Add, 0),
  binaryKernel(tf.Multiply, 1),
  unaryKernel(tf.Relu, 0, () => true),
  unaryKernel(tf.Step, 1, (attrs) => ((attrs as unknown as tf.StepAttrs | undefined)?.alpha ?? 0) === 0),
];
