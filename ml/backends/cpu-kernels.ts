/**
 * Corrections to tfjs's plain JavaScript `cpu` backend, which Loupe trains on where nothing faster
 * loads and which the WebGPU tests use as their oracle.
 *
 * ResizeNearestNeighborGrad (the gradient of UpSampling2D, in every U-Net and the detector's neck):
 * tfjs-backend-cpu 4.22 reads dy at the *input's* batch offset, so every image after the first gets
 * the gradient of the wrong pixels (a batch of [2,1,1,1] from dy 1…8 gives 10, 14 instead of 10,
 * 26). This kernel scatters each dy pixel onto the input pixel the forward pass read it from, with
 * the same source-pixel rule as tfjs (and as Loupe's wasm and oneDNN kernels and tfjs's WebGPU one).
 */
import * as tf from '@tensorflow/tfjs';

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function resizeNearestNeighborGrad({
  inputs,
  backend,
  attrs,
}: {
  inputs: { images: tf.TensorInfo; dy: tf.TensorInfo };
  backend: CpuBackend;
  attrs: { alignCorners: boolean };
}): tf.TensorInfo {
  const { images, dy } = inputs;
  const [batch, xHeight, xWidth, depth] = images.shape as [number, number, number, number];
  const [, yHeight, yWidth] = dy.shape as [number, number, number, number];
  const align = attrs.alignCorners;
  const heightScale = (align && yHeight > 1 ? xHeight - 1 : xHeight) / (align && yHeight > 1 ? yHeight - 1 : yHeight);
  const widthScale = (align && yWidth > 1 ? xWidth - 1 : xWidth) / (align && yWidth > 1 ? yWidth - 1 : yWidth);
  const source = (position: number, scale: number, size: number) =>
    Math.min(size - 1, align ? Math.round(position * scale) : Math.floor(position * scale));
  const dyValues = backend.data.get(dy.dataId).values;
  const dx = new Float32Array(batch * xHeight * xWidth * depth);
  for (let b = 0; b < batch; b++) {
    for (let yr = 0; yr < yHeight; yr++) {
      const xr = source(yr, heightScale, xHeight);
      for (let yc = 0; yc < yWidth; yc++) {
        const xc = source(yc, widthScale, xWidth);
        const from = (((b * yHeight + yr) * yWidth + yc) * depth) | 0;
        const to = (((b * xHeight + xr) * xWidth + xc) * depth) | 0;
        for (let d = 0; d < depth; d++) dx[to + d]! += dyValues[from + d]!;
      }
    }
  }
  return backend.makeTensorInfo(images.shape, 'float32', dx);
}

let registered = false;

/** Replaces the cpu backend's faulty kernels with Loupe's; safe to call more than once. */
export function registerCpuKernelFixes(): void {
  if (registered) return;
  registered = true;
  tf.unregisterKernel('ResizeNearestNeighborGrad', 'cpu');
  tf.registerKernel({
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: 'cpu',
    kernelFunc: resizeNearestNeighborGrad as unknown as tf.KernelFunc,
  });
}
