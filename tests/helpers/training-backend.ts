/**
 * The backend the training tests run on: the engine's own choice (wasm). Stock tfjs wasm has no
 * Conv2DBackpropFilter and a slow loop for Conv2DBackpropInput; until the project's gradient
 * kernels (ml/kernels) register theirs, this registers the two simple composed kernels below, for
 * tests only, so that training tests can run on wasm at a useful speed. Once ml/kernels provides a
 * filter gradient, this helper registers nothing. Both are checked against the cpu backend in
 * tests/integration/training-backend-helper.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend';

type KernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => tf.TensorInfo;

/**
 * dW[kh, kw, ci, co] = Σ_n,i,j x[n, i·s + kh - pad, j·s + kw - pad, ci] · dy[n, i, j, co]: a
 * convolution of the transposed input (batch ↔ channels) by the transposed output gradient,
 * with the forward stride as dilation.
 */
function composedConv2DBackpropFilter(): tf.KernelConfig {
  const kernel = (name: string): KernelFunc => tf.getKernel(name, 'wasm')!.kernelFunc as unknown as KernelFunc;
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
        strides,
        1,
        pad,
        dimRoundingMode,
        false,
        tf.backend_util.convertConv2DDataFormat(dataFormat),
      );
      const disposeData = (t: tf.TensorInfo): void => (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);
      const needH = info.filterHeight - 1 + (info.outHeight - 1) * info.strideHeight + 1 - info.padInfo.top;
      const needW = info.filterWidth - 1 + (info.outWidth - 1) * info.strideWidth + 1 - info.padInfo.left;
      const [, height, width] = x.shape as number[];
      const temporaries: tf.TensorInfo[] = [];
      let xt = kernel('Transpose')({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      temporaries.push(xt);
      if (needH < height! || needW < width!) {
        xt = kernel('Slice')({ inputs: { x: xt }, backend, attrs: { begin: [0, 0, 0, 0], size: [-1, Math.min(height!, needH), Math.min(width!, needW), -1] } });
        temporaries.push(xt);
      }
      const dyt = kernel('Transpose')({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      temporaries.push(dyt);
      const product = kernel('Conv2D')({
        inputs: { x: xt, filter: dyt },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [
            [0, 0],
            [info.padInfo.top, Math.max(0, needH - height!)],
            [info.padInfo.left, Math.max(0, needW - width!)],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [info.strideHeight, info.strideWidth],
        },
      });
      temporaries.push(product);
      const result = kernel('Transpose')({ inputs: { x: product }, backend, attrs: { perm: [1, 2, 0, 3] } });
      temporaries.forEach(disposeData);
      return result;
    }) as unknown as tf.KernelFunc,
  };
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dX = conv(zero-inserted, padded dy, the filter flipped with in/out channels swapped), from the
 * backend's fast forward convolution. NHWC, dilation 1, any stride and padding.
 */
function inputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: ConvAttrs): tf.Tensor4D {
  const { inputShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [b, oh, ow, co] = dy.shape;
  const [kh, kw] = filter.shape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
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
  const cropped = tf.slice(padded, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [
    -1,
    padded.shape[1] - Math.max(-top, 0) - Math.max(-bottom, 0),
    padded.shape[2] - Math.max(-left, 0) - Math.max(-right, 0),
    -1,
  ]);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(cropped, flipped, 1, 'valid');
}

function composedConv2DBackpropInput(): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    // Ops inside a kernel are not recorded on the gradient tape; the tidy frees their intermediates.
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      return tf.tidy(() => inputGradient(dy, filter, attrs as unknown as ConvAttrs)) as unknown as tf.TensorInfo;
    },
  };
}

/** Starts the engine's backend for training tests and returns its name. */
export async function startTrainingBackend(): Promise<string> {
  const info = await initBackend(null);
  if (info.tfjsBackend === 'wasm' && !tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel(composedConv2DBackpropFilter());
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(composedConv2DBackpropInput());
  }
  return info.tfjsBackend;
}
