/** tfjs weights as ONNX wants them: weights by name, kernels transposed from TF's [kh, kw, in, out] to ONNX's [out, in, kh, kw], TF `same` padding per axis. */
import type * as tf from '@tensorflow/tfjs';

export function weightsOf(layer: tf.layers.Layer): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const w of layer.weights) out.set(w.originalName.split('/').at(-1)!, w.read());
  return out;
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

export function pair(v: unknown, fallback: number): [number, number] {
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}

/** TF `same` padding for one spatial axis: the odd pixel goes after. */
export function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [kh, kw, in, out] → [out, in, kh, kw]. */
export function convKernel(kernel: tf.Tensor): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = kernel.shape as number[];
  const src = values(kernel);
  const data = new Float32Array(src.length);
  for (let i = 0; i < kh!; i++)
    for (let j = 0; j < kw!; j++)
      for (let c = 0; c < cin!; c++)
        for (let o = 0; o < cout!; o++)
          data[((o * cin! + c) * kh! + i) * kw! + j] = src[((i * kw! + j) * cin! + c) * cout! + o]!;
  return { data, dims: [cout!, cin!, kh!, kw!] };
}

/** [kh, kw, in, multiplier] → [in · multiplier, 1, kh, kw]; output channel c·m + k, as TF orders it. */
export function depthwiseKernel(kernel: tf.Tensor): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, mult] = kernel.shape as number[];
  const src = values(kernel);
  const data = new Float32Array(src.length);
  for (let i = 0; i < kh!; i++)
    for (let j = 0; j < kw!; j++)
      for (let c = 0; c < cin!; c++)
        for (let m = 0; m < mult!; m++)
          data[((c * mult! + m) * kh! + i) * kw! + j] = src[((i * kw! + j) * cin! + c) * mult! + m]!;
  return { data, dims: [cin! * mult!, 1, kh!, kw!] };
}
