/**
 * Batch normalisation in training mode on WebGPU: the forward and backward kernels of
 * ml/backends/batch-norm-training.ts, three GPU programs each (multi-output.ts). Without them
 * Loupe's BatchNormalization layer trains on tfjs's ops, about twenty programs and several scalar
 * uploads per layer and step; on an H100 the batch-norm CNN trained at 492 images/s on the GPU
 * against 1,219 on the CPU, its step bound by recording dispatches.
 *
 * x is rows × channels (channels last). The statistics are taken in chunks of rows: each thread
 * sums one chunk of one channel (neighbouring threads, neighbouring channels), then a workgroup
 * per channel joins the chunks (its lanes in turn, then a tree over the lanes: a single thread's
 * loop over thousands of chunks would leave a GPU waiting on one memory read after another).
 * WGSL has no double, so the variance is not E[x²] − mean² (which loses a float32 variance's
 * digits when the mean is large) but two passes over shifted values, in each chunk and again in
 * the join; the variance is the biased one, as tfjs's moments and the oneDNN kernels
 * (native/onednn/norm_ops.cc) take it.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  BATCH_NORM_MOVING_AVERAGES,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormRows,
  type BatchNormTrainingAttrs,
  type MovingAveragesAttrs,
} from '../batch-norm-training';
import { bindingsWgsl, MAIN_PREAMBLE, runMultiOutput, WORKGROUP } from './multi-output';

/**
 * Most chunks per channel, and the fewest rows in a chunk. A chunk's rows are one thread's loop,
 * the chunks of a channel are one workgroup's (WORKGROUP lanes, then a tree): a U-Net's 8 × 128²
 * rows make 4,096 chunks of 32 rows, 64 per lane.
 */
const MAX_CHUNKS = 4096;
const MIN_ROWS = 8;
const SHAPE_UNIFORMS = 'rows : i32, channels : i32, chunk : i32, chunks : i32, epsilon : f32';

/** A join's start: one workgroup per channel `c`, its lanes taking the chunks in turn (see workgroupSum). */
const JOIN_PREAMBLE = `var<workgroup> lanes : array<vec2<f32>, ${WORKGROUP}>;
var<workgroup> lanes2 : array<vec2<f32>, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) group : vec3<u32>, @builtin(local_invocation_id) local : vec3<u32>,
        @builtin(num_workgroups) groups : vec3<u32>) {
  let c = i32(group.x + group.y * groups.x);
  let lane = local.x;
  let C = uniforms.channels;`;

/**
 * WGSL that sets `name` to the workgroup's sum of the vec2 `value` over the lanes, in the same
 * order in every run (a tree); every lane runs it alike (it holds barriers). Each sum in a program
 * takes its own array: on Mesa (Dawn's OpenGL ES backend) a second sum on the same array, behind a
 * barrier, overwrote the first before every lane had read it.
 */
function workgroupSum(name: string, value: string, lanes = 'lanes'): string {
  return `
  ${lanes}[lane] = ${value};
  workgroupBarrier();
  for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { ${lanes}[lane] = ${lanes}[lane] + ${lanes}[lane + stride]; }
    workgroupBarrier();
  }
  let ${name} = ${lanes}[0];`;
}

/** The rows of chunk `s` of channel `c`, for a thread whose index is s · channels + c. */
const CHUNK_ROWS = `
  let c = index % uniforms.channels;
  let s = index / uniforms.channels;
  let first = s * uniforms.chunk;
  let last = min(first + uniforms.chunk, uniforms.rows);
  let n = f32(last - first);`;

/**
 * Forward, 1: per chunk and channel, two passes over the chunk: the mean of x − K and the sum of
 * squared deviations from it, K being the channel's first value (a shift that keeps the sums small
 * when the data sit far from zero: summing values near 1,000 in float32 loses the digits a spread
 * of a few units needs).
 */
const CHUNK_MOMENTS = `${bindingsWgsl(['chunkMean', 'chunkSquares'], ['x'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}${CHUNK_ROWS}
  let k = x[c];
  var sum = 0.0;
  for (var r = first; r < last; r++) { sum += x[r * uniforms.channels + c] - k; }
  let mean = sum / n;
  var squares = 0.0;
  for (var r = first; r < last; r++) {
    let d = x[r * uniforms.channels + c] - k - mean;
    squares += d * d;
  }
  chunkMean[index] = mean;
  chunkSquares[index] = squares;
}`;

/**
 * Forward, 2: per channel, the chunks joined, again in two passes: the mean of x − K as the
 * chunks' means weighted by their rows, then the squared deviations as each chunk's own plus its
 * rows times its mean's squared distance from that mean. Outputs the batch's mean and biased variance.
 */
const JOIN_MOMENTS = `${bindingsWgsl(['mean', 'variance'], ['chunkMean', 'chunkSquares', 'x'], SHAPE_UNIFORMS)}
${JOIN_PREAMBLE}
  var sum = 0.0;
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    sum += f32(min(uniforms.chunk, uniforms.rows - s * uniforms.chunk)) * chunkMean[s * C + c];
  }
  ${workgroupSum('sumShifted', 'vec2<f32>(sum, 0.0)')}
  let shifted = sumShifted.x / f32(uniforms.rows);
  var squares = 0.0;
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    let d = chunkMean[s * C + c] - shifted;
    squares += chunkSquares[s * C + c] + f32(min(uniforms.chunk, uniforms.rows - s * uniforms.chunk)) * d * d;
  }
  ${workgroupSum('sumSquares', 'vec2<f32>(squares, 0.0)', 'lanes2')}
  let total = sumSquares.x;
  if (lane == 0u) {
    mean[c] = x[c] + shifted;
    variance[c] = total / f32(uniforms.rows);
  }
}`;

/** Forward, 3: y = (x − mean) · scale / √(variance + ε) + offset. */
const NORMALISE = `${bindingsWgsl(['y'], ['x', 'mean', 'variance', 'scale', 'offset'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}
  let c = index % uniforms.channels;
  y[index] = (x[index] - mean[c]) * (scale[c] / sqrt(variance[c] + uniforms.epsilon)) + offset[c];
}`;

/** Backward, 1: per chunk and channel, Σdy and Σdy · (x − mean). */
const CHUNK_SUMS = `${bindingsWgsl(['chunkDy', 'chunkDyCentred'], ['dy', 'x', 'mean'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}${CHUNK_ROWS}
  var sumDy = 0.0;
  var sumDyCentred = 0.0;
  let m = mean[c];
  for (var r = first; r < last; r++) {
    let at = r * uniforms.channels + c;
    sumDy += dy[at];
    sumDyCentred += dy[at] * (x[at] - m);
  }
  chunkDy[index] = sumDy;
  chunkDyCentred[index] = sumDyCentred;
}`;

/**
 * Backward, 2: per channel, dscale = r · Σdy(x − mean) and doffset = Σdy with r = 1/√(variance + ε),
 * and dx's coefficients: dx = a · dy + b · (x − mean) + k, a = r · scale, b = −a · r · dscale / n,
 * k = −a · doffset / n (coefficients holds a, b, k for each channel).
 */
const JOIN_SUMS = `${bindingsWgsl(['dscale', 'doffset', 'coefficients'], ['chunkDy', 'chunkDyCentred', 'variance', 'scale'], SHAPE_UNIFORMS)}
${JOIN_PREAMBLE}
  var sums = vec2<f32>(0.0, 0.0);
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    sums += vec2<f32>(chunkDy[s * C + c], chunkDyCentred[s * C + c]);
  }
  ${workgroupSum('total', 'sums')}
  if (lane != 0u) { return; }
  let sumDy = total.x;
  let sumDyCentred = total.y;
  let index = c;
  let r = 1.0 / sqrt(variance[index] + uniforms.epsilon);
  let n = f32(uniforms.rows);
  let a = r * scale[index];
  dscale[index] = r * sumDyCentred;
  doffset[index] = sumDy;
  coefficients[3 * index] = a;
  coefficients[3 * index + 1] = -a * r * (r * sumDyCentred) / n;
  coefficients[3 * index + 2] = -a * sumDy / n;
}`;

/** Backward, 3: dx. */
const INPUT_GRADIENT = `${bindingsWgsl(['dx'], ['dy', 'x', 'mean', 'coefficients'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}
  let c = index % uniforms.channels;
  dx[index] = coefficients[3 * c] * dy[index] + coefficients[3 * c + 1] * (x[index] - mean[c]) + coefficients[3 * c + 2];
}`;

/** The moving averages, each value − (value − batch statistic) · decay, in tfjs's order of operations. */
const MOVING_AVERAGES = `${bindingsWgsl(['nextMean', 'nextVariance'], ['movingMean', 'movingVariance', 'mean', 'variance'], 'decay : f32')}
${MAIN_PREAMBLE}
  nextMean[index] = movingMean[index] - (movingMean[index] - mean[index]) * uniforms.decay;
  nextVariance[index] = movingVariance[index] - (movingVariance[index] - variance[index]) * uniforms.decay;
}`;

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** rows, channels and the chunking as uniforms; refuses what the kernels do not take. */
function layout(x: tf.TensorInfo, perChannel: tf.TensorInfo[], epsilon: number) {
  const { rows, channels } = batchNormRows(x, perChannel);
  const chunk = Math.max(MIN_ROWS, Math.ceil(rows / MAX_CHUNKS));
  const chunks = Math.ceil(rows / chunk);
  const uniforms = [
    ...[rows, channels, chunk, chunks].map((v) => ({ type: 'int32' as const, data: [v] })),
    { type: 'float32' as const, data: [epsilon] },
  ];
  return { rows, channels, chunks, uniforms };
}

/** Runs one of the programs above on `gpu` with the layout's uniforms. */
function runner(gpu: WebGPUBackend, uniforms: ReturnType<typeof layout>['uniforms']) {
  return (key: string, code: string, threads: number, inputs: tf.TensorInfo[], shapes: number[][]) =>
    runMultiOutput(gpu, { key, code, threads }, inputs, shapes, uniforms);
}

function forward({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', tf.TensorInfo>;
  const { rows, channels, chunks, uniforms } = layout(
    x,
    [scale, offset],
    (attrs as unknown as BatchNormTrainingAttrs).epsilon,
  );
  const run = runner(gpu, uniforms);
  const parts = run(
    'loupeBnChunkMoments',
    CHUNK_MOMENTS,
    chunks * channels,
    [x],
    [[chunks * channels], [chunks * channels]],
  );
  const [mean, variance] = run(
    'loupeBnJoinMoments',
    JOIN_MOMENTS,
    channels * WORKGROUP,
    [...parts, x],
    [[channels], [channels]],
  );
  const [y] = run('loupeBnNormalise', NORMALISE, rows * channels, [x, mean!, variance!, scale, offset], [x.shape]);
  parts.forEach((t) => gpu.disposeData(t.dataId));
  return [y!, mean!, variance!];
}

function backward({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const { dy, x, mean, variance, scale } = inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'scale', tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
  const { rows, channels, chunks, uniforms } = layout(x, [mean, variance, scale], epsilon);
  if (dy.shape.join() !== x.shape.join())
    throw new Error(`Batch norm's gradient has shape ${dy.shape}, its input ${x.shape}.`);
  const run = runner(gpu, uniforms);
  const parts = run(
    'loupeBnChunkSums',
    CHUNK_SUMS,
    chunks * channels,
    [dy, x, mean],
    [[chunks * channels], [chunks * channels]],
  );
  const [dscale, doffset, coefficients] = run(
    'loupeBnJoinSums',
    JOIN_SUMS,
    channels * WORKGROUP,
    [...parts, variance, scale],
    [[channels], [channels], [3 * channels]],
  );
  const [dx] = run('loupeBnInputGradient', INPUT_GRADIENT, rows * channels, [dy, x, mean, coefficients!], [x.shape]);
  [...parts, coefficients!].forEach((t) => gpu.disposeData(t.dataId));
  return [dx!, dscale!, doffset!];
}

function movingAverages({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const { movingMean, movingVariance, mean, variance } = inputs as Record<
    'movingMean' | 'movingVariance' | 'mean' | 'variance',
    tf.TensorInfo
  >;
  const all = [movingMean, movingVariance, mean, variance];
  if (all.some((t) => t.dtype !== 'float32' || t.shape.join() !== movingMean.shape.join()))
    throw new Error(
      `Batch norm's moving averages take four float32 vectors of one size (got ${all.map((t) => t.shape)}).`,
    );
  const { decay } = attrs as unknown as MovingAveragesAttrs;
  const threads = tf.util.sizeFromShape(movingMean.shape);
  return runMultiOutput(
    backend as WebGPUBackend,
    { key: 'loupeBnMovingAverages', code: MOVING_AVERAGES, threads },
    all,
    [movingMean.shape, movingMean.shape],
    [{ type: 'float32', data: [decay] }],
  );
}

let registered = false;

/** Registers the three kernels for the webgpu backend; Loupe's BatchNormalization layer then takes them. */
export function registerWebGpuBatchNorm(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BATCH_NORM_TRAINING, backendName: 'webgpu', kernelFunc: forward as tf.KernelFunc });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING_GRAD,
    backendName: 'webgpu',
    kernelFunc: backward as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_MOVING_AVERAGES,
    backendName: 'webgpu',
    kernelFunc: movingAverages as tf.KernelFunc,
  });
}
