/**
 * TEMPORARY, tests only: Conv2D gradients for the stock tfjs `wasm` backend, composed from its
 * fast forward kernels, so the detection and Siamese quality tests can train on the CPU in CI.
 * Stock wasm has no Conv2DBackpropFilter and a slow Conv2DBackpropInput loop; the engine-core
 * kernels (issue 5) replace this with tested kernels for every option. Here only what the tests'
 * small models use is supported: NHWC, dilation 1, any stride and padding.
 *
 *   dW = conv(xᵀ, dyᵀ): the input with batch and channels swapped, convolved with the output
 *        gradient as the filter, stride and dilation swapped; cropped to the kernel size.
 *   dX = conv(zero-inserted, padded dy, the filter flipped with in/out channels swapped).
 */
import * as tf from '@tensorflow/tfjs';

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function pair(v: [number, number] | number): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const [sh, sw] = pair(attrs.strides);
  const { top, bottom, left, right } = info.padInfo;
  const xt = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, B]
  const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co]
  const padded = tf.pad(xt, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]]);
  const full = tf.conv2d(padded, dyt, 1, 'valid', 'NHWC', [sh, sw]); // [Ci, ≥KH, ≥KW, Co]
  return tf.transpose(tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
}

function inputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, attrs);
  const [b, oh, ow, co] = dy.shape;
  const [kh, kw] = filter.shape;
  const [sh, sw] = pair(attrs.strides);
  let up: tf.Tensor4D = dy;
  if (sh > 1 || sw > 1) {
    const spread = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, co]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    up = tf.slice(tf.reshape(spread, [b, oh * sh, ow * sw, co]) as tf.Tensor4D, [0, 0, 0, 0], [b, (oh - 1) * sh + 1, (ow - 1) * sw + 1, co]);
  }
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = inputShape[1] + kh - 1 - top - up.shape[1];
  const right = inputShape[2] + kw - 1 - left - up.shape[2];
  const padded = tf.pad(up, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
  const cropped = tf.slice(padded, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [-1, padded.shape[1] - Math.max(-top, 0) - Math.max(-bottom, 0), padded.shape[2] - Math.max(-left, 0) - Math.max(-right, 0), -1]);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(cropped, flipped, 1, 'valid');
}

let registered = false;

/** Registers the two gradient kernels for `wasm` (once per process). */
export function registerWasmConvGradients(): void {
  if (registered) return;
  registered = true;
  // The engine runs a kernel's returned tensor as its output; intermediates die in the tidy.
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      return tf.tidy(() => filterGradient(x, dy, a.filterShape, a)) as unknown as tf.TensorInfo;
    },
  });
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      return tf.tidy(() => inputGradient(dy, filter, a.inputShape, a)) as unknown as tf.TensorInfo;
    },
  });
}

/** The wasm backend with those gradients, as the engine's backend module would load it. */
export async function useWasmForTraining(): Promise<void> {
  const { initBackend } = await import('../../ml/backend');
  await initBackend('wasm');
  registerWasmConvGradients();
}
