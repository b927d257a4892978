/**
 * The backend the training tests run on: the engine's own choice (wasm). Stock tfjs wasm has no
 * Conv2DBackpropFilter; until the project's gradient kernels (ml/kernels) register one, this
 * registers the simple composed kernel below, for tests only, so that training tests can run on
 * wasm at a useful speed. Once ml/kernels provides it, this helper registers nothing.
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

/** Starts the engine's backend for training tests and returns its name. */
export async function startTrainingBackend(): Promise<string> {
  const info = await initBackend(null);
  if (info.tfjsBackend === 'wasm' && !tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.registerKernel(composedConv2DBackpropFilter());
  return info.tfjsBackend;
}
