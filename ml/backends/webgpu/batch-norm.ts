/**
 * Batch normalisation in training mode on WebGPU: the forward and backward kernels of
 * ml/backends/batch-norm-training.ts, three GPU programs each (multi-output.ts; the programs and
 * how they sum are in batch-norm-wgsl.ts), with or without a ReLU after it; the forward's join
 * also updates the moving averages, where a program of their own ran after it. Without them Loupe's
 * BatchNormalization layer trains on tfjs's ops, about twenty programs and several scalar uploads
 * per layer and step; on an H100 the batch-norm CNN trained at 492 images/s on the GPU against
 * 1,219 on the CPU, its step bound by recording dispatches.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  BATCH_NORM_MOVING_AVERAGES,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormRows,
  forwardMovingAverages,
  gradientMask,
  movingAveragesInputs,
  type BatchNormTrainingAttrs,
  type BatchNormTrainingKernelConfig,
  type MovingAveragesAttrs,
} from '../batch-norm-training';
import {
  CHUNK_MOMENTS,
  chunkSums,
  inputGradient,
  joinMoments,
  JOIN_SUMS,
  MAX_CHUNKS,
  MIN_ROWS,
  MOVING_AVERAGES,
  normalise,
} from './batch-norm-wgsl';
import { runMultiOutput, WORKGROUP } from './multi-output';

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
  const a = attrs as unknown as BatchNormTrainingAttrs;
  const { epsilon, activation = 'linear' } = a;
  const relu = activation === 'relu';
  const given = forwardMovingAverages<tf.TensorInfo>(inputs as Record<string, tf.TensorInfo>, a);
  const moving = given ? [given.movingMean, given.movingVariance] : [];
  const { rows, channels, chunks, uniforms } = layout(x, [scale, offset, ...moving], epsilon);
  const run = runner(gpu, uniforms);
  const [chunkStats] = run('loupeBnChunkMoments', CHUNK_MOMENTS, chunks * channels, [x], [[2 * chunks * channels]]);
  const statistics = runMultiOutput(
    gpu,
    {
      key: given ? 'loupeBnJoinMomentsMoving' : 'loupeBnJoinMoments',
      code: joinMoments(given !== null),
      threads: channels * WORKGROUP,
    },
    [chunkStats!, x, ...moving],
    given ? [[channels], [channels], [channels], [channels]] : [[channels], [channels]],
    given ? [...uniforms, { type: 'float32', data: [given.decay] }] : uniforms,
  );
  const [mean, variance] = statistics;
  const key = relu ? 'loupeBnNormaliseRelu' : 'loupeBnNormalise';
  const [y] = run(key, normalise(relu), rows * channels, [x, mean!, variance!, scale, offset], [x.shape]);
  gpu.disposeData(chunkStats!.dataId);
  return [y!, ...statistics];
}

function backward({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const gpu = backend as WebGPUBackend;
  const { dy, x, mean, variance, scale, y } = inputs as Record<
    'dy' | 'x' | 'mean' | 'variance' | 'scale',
    tf.TensorInfo
  > & {
    y?: tf.TensorInfo;
  };
  const a = attrs as unknown as BatchNormTrainingAttrs;
  const { rows, channels, chunks, uniforms } = layout(x, [mean, variance, scale], a.epsilon);
  const reluY = gradientMask({ dy, x, y }, a);
  const relu = reluY !== null;
  const mask = reluY ? [reluY] : [];
  const run = runner(gpu, uniforms);
  const parts = run(
    relu ? 'loupeBnChunkSumsRelu' : 'loupeBnChunkSums',
    chunkSums(relu),
    chunks * channels,
    [dy, x, mean, ...mask],
    [[chunks * channels], [chunks * channels]],
  );
  const [dscale, doffset, coefficients] = run(
    'loupeBnJoinSums',
    JOIN_SUMS,
    channels * WORKGROUP,
    [...parts, variance, scale],
    [[channels], [channels], [3 * channels]],
  );
  const [dx] = run(
    relu ? 'loupeBnInputGradientRelu' : 'loupeBnInputGradient',
    inputGradient(relu),
    rows * channels,
    [dy, x, mean, coefficients!, ...mask],
    [x.shape],
  );
  [...parts, coefficients!].forEach((t) => gpu.disposeData(t.dataId));
  return [dx!, dscale!, doffset!];
}

function movingAverages({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const all = movingAveragesInputs(inputs as Record<string, tf.TensorInfo>);
  const movingMean = all[0];
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

/** Registers the three kernels for the webgpu backend; Loupe's BatchNormalization layer then takes them (a ReLU too). */
export function registerWebGpuBatchNorm(): void {
  if (registered) return;
  registered = true;
  const forwardConfig: BatchNormTrainingKernelConfig = {
    kernelName: BATCH_NORM_TRAINING,
    backendName: 'webgpu',
    kernelFunc: forward as tf.KernelFunc,
    fusesRelu: true,
    fusesMovingAverages: true,
  };
  tf.registerKernel(forwardConfig);
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
