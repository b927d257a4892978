/**
 * Batch normalisation in training mode on the addon (native/onednn/norm_ops.cc): the forward and
 * backward kernels that Loupe's BatchNormalization layer (ml/models/batch-norm.ts) runs where the
 * backend registers them. They have no wasm kernel to stand in for: like the fused Adam update,
 * they are registered only while the native kernels are on, and the layer takes tfjs's path
 * otherwise.
 */
import type * as tf from '@tensorflow/tfjs';
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
import type { Info } from '../wasm-kernels/wasm-calls';
import { ONEDNN_TFJS_NAME, type OneDnnBackend } from './native-backend';
import { addon, recordNative } from './native-kernel';

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** rows × channels of x, channels last; refuses what the kernels do not take. */
function rowsAndChannels(x: Info, perChannel: Info[]): Int32Array {
  const { rows, channels } = batchNormRows(x, perChannel);
  return Int32Array.of(rows, channels);
}

function forward({ inputs, backend, attrs }: Args): Info[] {
  const native = backend as OneDnnBackend;
  const { x, scale, offset } = inputs as { x: Info; scale: Info; offset: Info };
  const a = attrs as unknown as BatchNormTrainingAttrs;
  const { epsilon, activation = 'linear' } = a;
  const moving = forwardMovingAverages<Info>(inputs as Record<string, Info>, a);
  const relu = activation === 'relu';
  if (relu && !fusesRelu()) throw new Error('This oneDNN addon predates the batch norm with a ReLU: rebuild it.');
  const params = rowsAndChannels(x, [scale, offset, ...(moving ? [moving.movingMean, moving.movingVariance] : [])]);
  const channels = params[1]!;
  recordNative(BATCH_NORM_TRAINING);
  const y = native.makeOutput(x.shape, 'float32');
  const stats = new Float32Array(2 * channels);
  addon().batchNormTrain(
    native.floats(x),
    native.floats(scale),
    native.floats(offset),
    native.floats(y),
    stats,
    params,
    epsilon,
    relu,
  );
  const mean = native.makeOutput([channels], 'float32');
  const variance = native.makeOutput([channels], 'float32');
  native.floats(mean).set(stats.subarray(0, channels));
  native.floats(variance).set(stats.subarray(channels));
  if (!moving) return [y, mean, variance];
  return [
    y,
    mean,
    variance,
    ...nextMoving(native, moving.movingMean, moving.movingVariance, mean, variance, moving.decay),
  ];
}

function backward({ inputs, backend, attrs }: Args): Info[] {
  const native = backend as OneDnnBackend;
  const { dy, x, mean, variance, scale, y } = inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'scale', Info> & {
    y?: Info;
  };
  const a = attrs as unknown as BatchNormTrainingAttrs;
  const params = rowsAndChannels(x, [mean, variance, scale]);
  const reluY = gradientMask({ dy, x, y }, a);
  const channels = params[1]!;
  recordNative(BATCH_NORM_TRAINING_GRAD);
  const stats = new Float32Array(2 * channels);
  stats.set(native.floats(mean).subarray(0, channels));
  stats.set(native.floats(variance).subarray(0, channels), channels);
  const dx = native.makeOutput(x.shape, 'float32');
  const grads = new Float32Array(2 * channels);
  addon().batchNormTrainGrad(
    native.floats(dy),
    native.floats(x),
    stats,
    native.floats(scale),
    native.floats(dx),
    grads,
    params,
    a.epsilon,
    reluY ? native.floats(reluY) : null,
  );
  const dscale = native.makeOutput([channels], 'float32');
  const doffset = native.makeOutput([channels], 'float32');
  native.floats(dscale).set(grads.subarray(0, channels));
  native.floats(doffset).set(grads.subarray(channels));
  return [dx, dscale, doffset];
}

/**
 * Both moving averages, value − (value − batch statistic) · decay, in one call where tfjs's ops
 * made six per batch norm and step (a call's hand-over costs more than these few values). Each
 * operation rounds to float32 as tfjs's kernels do, so the values are theirs bit for bit.
 */
function movingAverages({ inputs, backend, attrs }: Args): Info[] {
  const native = backend as OneDnnBackend;
  const [movingMean, movingVariance, mean, variance] = movingAveragesInputs(inputs as Record<string, Info>);
  recordNative(BATCH_NORM_MOVING_AVERAGES);
  const { decay } = attrs as unknown as MovingAveragesAttrs;
  return nextMoving(native, movingMean, movingVariance, mean, variance, decay);
}

/** The moving averages' next values (the forward kernel makes them too, when given them). */
function nextMoving(
  native: OneDnnBackend,
  movingMean: Info,
  movingVariance: Info,
  mean: Info,
  variance: Info,
  decay: number,
): Info[] {
  const f = Math.fround;
  return [
    [movingMean, mean],
    [movingVariance, variance],
  ].map(([moving, batch]) => {
    const out = native.makeOutput(moving!.shape, 'float32');
    const [from, to, values] = [native.floats(moving!), native.floats(batch!), native.floats(out)];
    for (let i = 0; i < values.length; i++) values[i] = f(from[i]! - f(f(from[i]! - to[i]!) * decay));
    return out;
  });
}

let addonFusesRelu: boolean | undefined;

/** Whether the loaded addon applies the ReLU (addons built before it ignore the flag). */
function fusesRelu(): boolean {
  addonFusesRelu ??= addon().info().features?.includes('batch-norm-relu') === true;
  return addonFusesRelu;
}

export const BATCH_NORM_TRAINING_KERNELS: readonly BatchNormTrainingKernelConfig[] = [
  {
    kernelName: BATCH_NORM_TRAINING,
    backendName: ONEDNN_TFJS_NAME,
    kernelFunc: forward as tf.KernelFunc,
    get fusesRelu() {
      return fusesRelu();
    },
    fusesMovingAverages: true,
  },
  { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: ONEDNN_TFJS_NAME, kernelFunc: backward as tf.KernelFunc },
  {
    kernelName: BATCH_NORM_MOVING_AVERAGES,
    backendName: ONEDNN_TFJS_NAME,
    kernelFunc: movingAverages as tf.KernelFunc,
  },
];
