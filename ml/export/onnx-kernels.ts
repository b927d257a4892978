/** tfjs weights as ONNX wants them: weights by name, kernels transposed from TF's [kh, kw, in, out] to ONNX's [out, in, kh, kw], TF `same` padding per axis. */
import type * as tf from '@tensorflow/tfjs';

export function weightsOf(layer: tf.layers.Layer): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const w of layer.weights) out.set(w.originalName.split('/').at(-1)!, w.read());
  return out;
}

/** Weights read ahead by withWeightsRead, while a synchronous build inside it runs. */
let readAhead: Map<tf.Tensor, Float32Array> | null = null;

/**
 * Runs `build` (an exporter, which writes its graph synchronously) with every weight of `model`
 * read first. A synchronous read is impossible on WebGPU in Node (tfjs asks for an
 * OffscreenCanvas), so without this an export from a WebGPU engine failed on its first weight.
 */
export async function withWeightsRead<T>(model: tf.LayersModel, build: () => T): Promise<T> {
  // All reads in flight at once: one wait for the GPU, not one per weight.
  const tensors = model.weights.map((weight) => weight.read());
  const data = await Promise.all(tensors.map((tensor) => tensor.data()));
  readAhead = new Map(tensors.map((tensor, i) => [tensor, data[i] as Float32Array]));
  try {
    return build();
  } finally {
    readAhead = null;
  }
}

/** A weight's values: read ahead (withWeightsRead), else read now (backends that can read synchronously). */
export function values(t: tf.Tensor): Float32Array {
  return readAhead?.get(t) ?? (t.dataSync() as Float32Array);
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
