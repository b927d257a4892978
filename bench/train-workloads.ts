/**
 * What bench:train trains and infers on: the reference CNN and U-Net (bench/reference-models.ts)
 * and Loupe's default classifier, each with a batch of random inputs and targets; and how it
 * times them.
 */
import * as tf from '@tensorflow/tfjs';
import { lossConfigSchema } from '../contract/index';
import { countDispatches } from './train-webgpu';
import { buildModel } from '../ml/models/index';
import { batchGradients } from '../ml/parallel/batch-gradients';
import { createOptimizer } from '../ml/optim/optimizers';
import { releaseStepReplays, stepReplayStatus } from '../ml/train/step-replays';
import { issueTrainStep, type IssuedStep } from '../ml/train/train-step';
import { optimizerConfigSchema } from '../contract/index';
import { median } from './stats';
import { ENGINE_LOSS, resolveLoss, type LossSpec } from '../ml/parallel/loss-registry';
import { referenceCnn, referenceUNet } from './reference-models';

export interface Workload {
  model: tf.LayersModel;
  loss: LossSpec;
  xs: tf.Tensor;
  ys: tf.Tensor;
}

export function cnnWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1),
    tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat(),
  ]);
  return { model: referenceCnn(), loss: { name: 'categoricalCrossentropy' }, xs: xs!, ys: ys! };
}

/**
 * Loupe's default classifier as the Train section builds it (ml/models: the small CNN, a batch
 * norm after each convolution, global average pooling), on 64² grey images, with the engine's
 * cross-entropy on logits (class indices as labels, as the engine's datasets give them).
 */
export function bnCnnWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 64, 64, 1], 0, 1, 'float32', 5),
    tf.randomUniform([batch], 0, 2, 'int32', 6).toFloat(),
  ]);
  const model = buildModel(
    { architecture: 'small-cnn' },
    { task: 'classification', inputShape: [64, 64, 1], numClasses: 2, seed: 0 },
  );
  const loss = lossConfigSchema.parse({ name: 'cross-entropy' });
  const target = { task: 'classification', numClasses: 2, outputChannels: 2 };
  return { model, loss: { name: ENGINE_LOSS, config: { loss, target } }, xs: xs!, ys: ys! };
}

export function unetWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [
    tf.randomNormal([batch, 128, 128, 1], 0, 1, 'float32', 3),
    tf.randomUniform([batch, 128, 128, 1], 0, 1, 'float32', 4).round(),
  ]);
  return { model: referenceUNet(), loss: { name: 'binaryCrossentropy' }, xs: xs!, ys: ys! };
}

export function dispose(w: Workload): void {
  tf.dispose([w.xs, w.ys]);
  w.model.dispose();
}

/** images/s from the median step time after `warmup` untimed steps. */
export async function rate(batch: number, warmup: number, steps: number, step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
  }
  return batch / (median(times) / 1000);
}

/** One thread's step as the two-thread path takes it (batch-gradients.ts and tfjs's Adam), for the paired comparison. */
export function oneThreadStep(w: Workload, optimizer: tf.Optimizer): () => Promise<void> {
  const loss = resolveLoss(w.loss);
  return async () => {
    const { loss: value, grads } = batchGradients(w.model, loss, w.xs, w.ys);
    const named: tf.NamedTensorMap = {};
    w.model.trainableWeights.forEach((v, i) => (named[v.name] = grads[i]!));
    optimizer.applyGradients(named);
    await value.data();
    tf.dispose([value, ...grads]);
  };
}

/**
 * Training images/s with the step the engine takes (ml/train/train-step.ts: forward, backward,
 * Loupe's Adam — fused where the backend has the kernel —, the outputs read back asynchronously,
 * one step in flight as in the training loop).
 */
export async function trainRate(
  w: Workload,
  warmup: number,
  steps: number,
  observed?: { dispatches(count: number): void; replays(how: string): void },
): Promise<number> {
  const optimizer = createOptimizer(optimizerConfigSchema.parse({ name: 'adam' }));
  const context = {
    model: w.model,
    loss: resolveLoss(w.loss),
    parameters: w.model.trainableWeights.map((weight) => ({
      name: weight.name,
      variable: weight.read() as tf.Variable,
      learningRateFactor: 1,
    })),
    optimizer,
    learningRate: 1e-3,
  };
  // One step in flight, as the training loop runs them (epoch-steps.ts): each step is issued before
  // the previous one is read, so on a GPU the step computes while the next is recorded.
  let unread: IssuedStep | null = null;
  const step = async () => {
    const issued = issueTrainStep(context, { x: w.xs, y: w.ys } as Parameters<typeof issueTrainStep>[1]);
    const previous = unread;
    unread = issued;
    await previous?.outcome();
  };
  try {
    const images = await rate(w.xs.shape[0]!, warmup, steps, step);
    if (observed) {
      const [status] = stepReplayStatus(w.model);
      observed.replays(status?.refused ?? `${Math.min(steps, status?.replayed ?? 0)} of ${steps} timed steps replayed`);
      observed.dispatches(await countDispatches(step));
    }
    return images;
  } finally {
    await (unread as IssuedStep | null)?.outcome();
    optimizer.dispose();
    releaseStepReplays(w.model);
  }
}

export async function inferRate(w: Workload, warmup: number, steps: number): Promise<number> {
  return rate(w.xs.shape[0]!, warmup, steps, async () => {
    const y = w.model.predict(w.xs) as tf.Tensor;
    await y.data();
    y.dispose();
  });
}
