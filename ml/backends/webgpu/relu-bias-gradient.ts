/**
 * The gradient of a convolution's ReLU and of its bias on WebGPU in two GPU programs
 * (RELU_BIAS_GRAD, taken by ml/models/fused-conv-training.ts), where tfjs ran three: the ReLU's
 * gradient, then the bias's sum over the batch and the image as a transpose and a reduction, two
 * more full-size passes. On a GPU a small model's training step is bound by recording programs
 * (multi-output.ts), and a U-Net has fourteen such layers.
 *
 * 1. Per chunk of rows and channel (neighbouring threads, neighbouring channels, as batch norm's
 *    chunks in batch-norm-wgsl.ts): g = dy · step(y), written, and summed over the chunk.
 * 2. A workgroup per channel joins the chunks' sums (its lanes in turn, then a tree).
 *
 * g is tfjs's bit for bit (the same step, NaN in y giving NaN); the bias's gradient is summed in
 * another order than tfjs's sum, so it differs by rounding.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { RELU_BIAS_GRAD } from '../lean-gradients';
import { JOIN_PREAMBLE, MAX_CHUNKS, MIN_ROWS, workgroupSum } from './batch-norm-wgsl';
import { bindingsWgsl, MAIN_PREAMBLE, runMultiOutput, WORKGROUP } from './multi-output';

const UNIFORMS = 'rows : i32, channels : i32, chunk : i32, chunks : i32';

/** tfjs's step(v): NaN stays NaN (tested on its bits, as tfjs's isnan does), else 1 above zero and 0 elsewhere. */
const STEP = 'select(select(0.0, 1.0, v > 0.0), v, (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u)';

const CHUNK_GRADIENTS = `${bindingsWgsl(['g', 'partial'], ['dy', 'y'], UNIFORMS)}
${MAIN_PREAMBLE}
  let c = index % uniforms.channels;
  let s = index / uniforms.channels;
  let first = s * uniforms.chunk;
  let last = min(first + uniforms.chunk, uniforms.rows);
  var sum = 0.0;
  for (var r = first; r < last; r++) {
    let at = r * uniforms.channels + c;
    let v = y[at];
    let value = dy[at] * ${STEP};
    g[at] = value;
    sum += value;
  }
  partial[index] = sum;
}`;

const JOIN = `${bindingsWgsl(['dbias'], ['partial'], UNIFORMS)}
${JOIN_PREAMBLE}
  var sum = 0.0;
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) { sum += partial[s * C + c]; }
  ${workgroupSum('total', 'vec2<f32>(sum, 0.0)')}
  if (lane == 0u) { dbias[c] = total.x; }
}`;

function reluBiasGradient({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const { dy, y } = inputs as Record<'dy' | 'y', tf.TensorInfo>;
  if (dy.shape.join() !== y.shape.join() || y.shape.length === 0)
    throw new Error(`The ReLU and bias gradient has dy of shape ${dy.shape} and y of ${y.shape}.`);
  const channels = y.shape[y.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(y.shape) / channels;
  if (rows === 0 || channels === 0)
    throw new Error(`The ReLU and bias gradient was given an empty tensor (${y.shape}).`);
  const chunk = Math.max(MIN_ROWS, Math.ceil(rows / MAX_CHUNKS));
  const chunks = Math.ceil(rows / chunk);
  const uniforms = [rows, channels, chunk, chunks].map((v) => ({ type: 'int32' as const, data: [v] }));
  const [g, partial] = runMultiOutput(
    gpu,
    { key: 'loupeReluBiasChunks', code: CHUNK_GRADIENTS, threads: chunks * channels },
    [dy, y],
    [y.shape, [chunks * channels]],
    uniforms,
  );
  const [dbias] = runMultiOutput(
    gpu,
    { key: 'loupeReluBiasJoin', code: JOIN, threads: channels * WORKGROUP },
    [partial!],
    [[channels]],
    uniforms,
  );
  gpu.disposeData(partial!.dataId);
  return [g!, dbias!];
}

let registered = false;

/** Registers the kernel for the webgpu backend; safe to call more than once. */
export function registerWebGpuReluBiasGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: RELU_BIAS_GRAD,
    backendName: 'webgpu',
    kernelFunc: reluBiasGradient as tf.KernelFunc,
  });
}
