/**
 * Batch normalisation in training mode as two kernels, forward and backward, for backends that
 * register them (the oneDNN and WebGPU backends do: ml/backends/onednn/norm-kernels.ts,
 * ml/backends/webgpu/batch-norm.ts). Loupe's BatchNormalization layer (ml/models/batch-norm.ts)
 * trains with them where they are.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Forward kernel: inputs x, scale, offset; attrs { epsilon, activation }; outputs y, mean, variance.
 * Where its config says `fusesMovingAverages`, it may also take movingMean and movingVariance with
 * attrs.decay, and then also outputs their next values, as BATCH_NORM_MOVING_AVERAGES computes them.
 */
export const BATCH_NORM_TRAINING = 'LoupeBatchNormTraining';
/**
 * Backward kernel: inputs dy, x, mean, variance, scale and, after a ReLU, y (the forward's output);
 * attrs { epsilon, activation }; outputs dx, dscale, doffset.
 */
export const BATCH_NORM_TRAINING_GRAD = 'LoupeBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  epsilon: number;
  /**
   * 'relu': y is max(batch norm, 0), and the gradient counts dy only where y > 0 (a ReLU's own
   * gradient, read from its output). Only on a backend whose forward kernel says it takes it.
   */
  activation?: 'linear' | 'relu';
  /** With the inputs movingMean and movingVariance: 1 − momentum, as MovingAveragesAttrs.decay. */
  decay?: number;
}

/**
 * A forward kernel's config with `fusesRelu: true` takes the 'relu' activation (both kernels do);
 * with `fusesMovingAverages: true` it takes the moving averages too (see BATCH_NORM_TRAINING).
 */
export type BatchNormTrainingKernelConfig = tf.KernelConfig & { fusesRelu?: boolean; fusesMovingAverages?: boolean };

/**
 * Moving averages kernel: inputs movingMean, movingVariance, mean, variance; attrs { decay };
 * outputs each moving value − (moving value − batch value) · decay, as tfjs's layer computes them.
 */
export const BATCH_NORM_MOVING_AVERAGES = 'LoupeBatchNormMovingAverages';

export interface MovingAveragesAttrs {
  /** 1 − momentum, rounded to float32 as tfjs's scalar of it is. */
  decay: number;
}

/**
 * rows × channels of a batch norm's x (channels last), for a backend's kernels; throws for what
 * they do not take: not float32, or a per-channel tensor (scale, offset, statistics) of another size.
 */
export function batchNormRows(
  x: { shape: number[]; dtype: string },
  perChannel: { shape: number[]; dtype: string }[],
): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const rows = tf.util.sizeFromShape(x.shape) / Math.max(channels, 1);
  const wrong =
    [x, ...perChannel].find((t) => t.dtype !== 'float32') ?? perChannel.find((t) => t.shape.join() !== `${channels}`);
  if (x.shape.length === 0 || rows < 1 || channels < 1 || wrong)
    throw new Error(
      `Batch norm takes float32 data, channels last, with one scale and offset per channel (got ${x.shape} and ${wrong?.shape}).`,
    );
  return { rows, channels };
}

type Info = { shape: number[]; dtype: string };

/**
 * The backward kernel's mask (its input y, the forward's output) when the forward applied the ReLU,
 * else null; throws when dy or y is not x's shape, or y is given without attrs.activation 'relu'
 * or missing with it.
 */
export function gradientMask<T extends Info>(
  inputs: { dy: T; x: T; y?: T | undefined },
  attrs: BatchNormTrainingAttrs,
): T | null {
  const { dy, x, y } = inputs;
  if (dy.shape.join() !== x.shape.join() || (y && y.shape.join() !== x.shape.join()))
    throw new Error(`Batch norm's gradient has shape ${dy.shape}, its input ${x.shape}, its output ${y?.shape}.`);
  if ((attrs.activation === 'relu') !== (y !== undefined))
    throw new Error("Batch norm's gradient after a ReLU needs the forward's output y, and only then.");
  return y ?? null;
}

/** The moving averages kernel's four inputs, in order; throws unless they are float32 vectors of one size. */
export function movingAveragesInputs<T extends Info>(inputs: Record<string, T>): [T, T, T, T] {
  const all = ['movingMean', 'movingVariance', 'mean', 'variance'].map((name) => inputs[name]!);
  if (all.some((t) => t.dtype !== 'float32' || t.shape.join() !== all[0]!.shape.join()))
    throw new Error(
      `Batch norm's moving averages take four float32 vectors of one size (got ${all.map((t) => t.shape)}).`,
    );
  return all as [T, T, T, T];
}

/**
 * The forward kernel's moving averages, when it was given them (see BATCH_NORM_TRAINING), else
 * null; throws when only some of movingMean, movingVariance and attrs.decay are there.
 */
export function forwardMovingAverages<T extends Info>(
  inputs: { movingMean?: T | undefined; movingVariance?: T | undefined },
  attrs: BatchNormTrainingAttrs,
): { movingMean: T; movingVariance: T; decay: number } | null {
  const { movingMean, movingVariance } = inputs;
  const { decay } = attrs;
  if (movingMean && movingVariance && decay !== undefined) return { movingMean, movingVariance, decay };
  if (movingMean || movingVariance || decay !== undefined)
    throw new Error("Batch norm's moving averages need movingMean, movingVariance and attrs.decay together.");
  return null;
}

/** True when the active backend has both kernels. */
export function hasBatchNormTrainingKernels(): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(BATCH_NORM_TRAINING, backend) !== undefined &&
    tf.getKernel(BATCH_NORM_TRAINING_GRAD, backend) !== undefined
  );
}

function forwardConfig(): BatchNormTrainingKernelConfig | undefined {
  return tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) as BatchNormTrainingKernelConfig | undefined;
}

/** True when the active backend's kernels apply a ReLU after the batch norm (attrs.activation 'relu'). */
export function batchNormTrainingFusesRelu(): boolean {
  return forwardConfig()?.fusesRelu === true;
}

/** The moving averages a training pass updates: the layer's values and its momentum. */
export interface MovingStatistics {
  mean: tf.Tensor;
  variance: tf.Tensor;
  momentum: number;
}

/**
 * Batch norm of x over every axis but the last, with the batch's statistics, on the active
 * backend's kernels (see hasBatchNormTrainingKernels), then the ReLU with activation 'relu' (see
 * batchNormTrainingFusesRelu). y's gradient reaches x (through the statistics too), scale and
 * offset. With `moving`, the moving averages' next values too: from the same kernel where the
 * backend's takes them (WebGPU: one program less per layer and step), else from movingAverages.
 * The caller disposes mean, variance and the next moving values, which tfjs's tidy scopes keep.
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  epsilon: number,
  activation: 'linear' | 'relu' = 'linear',
  moving?: MovingStatistics,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor; nextMoving?: [tf.Tensor, tf.Tensor] } {
  const fuseMoving = moving !== undefined && forwardConfig()?.fusesMovingAverages === true;
  const attrs = {
    epsilon,
    activation,
    ...(fuseMoving ? { decay: Math.fround(1 - moving.momentum) } : {}),
  } as unknown as tf.NamedAttrMap;
  const movingInputs = fuseMoving ? { movingMean: moving.mean, movingVariance: moving.variance } : {};
  const relu = activation === 'relu';
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args) => {
    const [input, gamma, beta, save] = args as unknown as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, variance, ...next] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAINING, { x: input, scale: gamma, offset: beta, ...movingInputs }, attrs) as tf.Tensor[];
    stats = [mean!, variance!, ...next].map((t) => tf.keep(t));
    save(relu ? [input, mean!, variance!, gamma, y!] : [input, mean!, variance!, gamma]);
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [xs, mu, v, g, out] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
        const inputs = { dy: dy as tf.Tensor, x: xs, mean: mu, variance: v, scale: g, ...(out ? { y: out } : {}) };
        return tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, inputs, attrs) as tf.Tensor[];
      },
    };
  });
  const y = op(x, scale, offset) as tf.Tensor;
  const [mean, variance, nextMean, nextVariance] = stats as [tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
  if (!moving) return { y, mean, variance };
  const nextMoving: [tf.Tensor, tf.Tensor] =
    nextMean && nextVariance
      ? [nextMean, nextVariance]
      : movingAverages(moving.mean, moving.variance, mean, variance, moving.momentum);
  return { y, mean, variance, nextMoving };
}

/**
 * tfjs's moving averages, value ← value − (value − batch statistic) · (1 − momentum), for the
 * mean and the variance: one kernel where the backend has it (WebGPU: one program in place of six
 * and two scalar uploads), else the three tensor ops each. Returns the new values.
 */
export function movingAverages(
  movingMean: tf.Tensor,
  movingVariance: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  momentum: number,
): [tf.Tensor, tf.Tensor] {
  if (tf.getKernel(BATCH_NORM_MOVING_AVERAGES, tf.getBackend()) === undefined)
    return [movingMean, movingVariance].map((old, i) =>
      tf.sub(old, tf.mul(tf.sub(old, i === 0 ? mean : variance), 1 - momentum)),
    ) as [tf.Tensor, tf.Tensor];
  const attrs: MovingAveragesAttrs = { decay: Math.fround(1 - momentum) };
  return tf
    .engine()
    .runKernel(
      BATCH_NORM_MOVING_AVERAGES,
      { movingMean, movingVariance, mean, variance },
      attrs as unknown as tf.NamedAttrMap,
    ) as unknown as [tf.Tensor, tf.Tensor];
}
