/**
 * TEMPORARY, tests only: the smallest honest training loop and backbone, so the detection and
 * Siamese quality tests can train before the engine core (issue 5: ml/train, ml/models) lands.
 * The shape is the engine's: an isolated `trainStep` (one batch, one optimizer step, returns the
 * loss), an epoch loop over seeded shuffles, and a backbone builder that takes an input and
 * returns a feature map. Switching a test to the engine is replacing these imports.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../fixtures/detection-random';

export type BatchLoss = (xs: tf.Tensor, ys: tf.Tensor) => tf.Scalar;

/** One optimizer step on one batch; returns the batch loss. */
export function trainStep(optimizer: tf.Optimizer, batchLoss: BatchLoss, xs: tf.Tensor, ys: tf.Tensor): number {
  const cost = optimizer.minimize(() => batchLoss(xs, ys), true);
  const value = cost!.dataSync()[0]!;
  cost!.dispose();
  return value;
}

export interface LocalTrainArgs {
  /** Loss of a batch; closes over the model (e.g. loss(yTrue, model.apply(xs))). */
  batchLoss: BatchLoss;
  /** All training inputs [N, ...] and targets [N, ...]; batches are gathered from them. */
  inputs: tf.Tensor;
  targets: tf.Tensor;
  epochs: number;
  batchSize: number;
  /** Adam learning rate, cosine-decayed to 5% over the run. */
  learningRate: number;
  seed: number;
  /** Picks one batch's sample indices (e.g. P identities × K images); default: seeded shuffles per epoch. */
  sampler?: (random: () => number) => number[];
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

export function trainLocally(args: LocalTrainArgs): number[] {
  const n = args.inputs.shape[0]!;
  const random = seededRandom(args.seed);
  const optimizer = tf.train.adam(args.learningRate);
  const stepsPerEpoch = Math.ceil(n / args.batchSize);
  const totalSteps = args.epochs * stepsPerEpoch;
  const history: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let sum = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const batch = args.sampler ? args.sampler(random) : order.slice(b * args.batchSize, (b + 1) * args.batchSize);
      // Adam's learning rate is a public field; cosine decay to 5% helps the last epochs settle.
      (optimizer as unknown as { learningRate: number }).learningRate = args.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
      const indices = tf.tensor1d(batch, 'int32');
      const xs = tf.gather(args.inputs, indices);
      const ys = tf.gather(args.targets, indices);
      sum += trainStep(optimizer, args.batchLoss, xs, ys);
      tf.dispose([indices, xs, ys]);
      step++;
    }
    history.push(sum / stepsPerEpoch);
    args.onEpoch?.(epoch, sum / stepsPerEpoch);
  }
  optimizer.dispose();
  return history;
}

export interface TinyBackboneArgs {
  /** Channels at full size; the stride-2 stages have twice as many. Default 16. */
  filters?: number;
  /** Stride-2 stages (total downsampling 2^n). Default 2. */
  downsamplings?: number;
  name?: string;
  /** Seed for the initial weights (each layer gets seed + its index). Default 1. */
  seed?: number;
}

/** conv3×3 ×2 at full size, then per stage a stride-2 conv3×3 and a conv3×3; ReLU throughout. */
export function tinyBackbone(input: tf.SymbolicTensor, args: TinyBackboneArgs = {}): tf.SymbolicTensor {
  const f = args.filters ?? 16;
  const name = args.name ?? 'tiny';
  let layerIndex = 0;
  const conv = (x: tf.SymbolicTensor, filters: number, strides: number, id: string) =>
    tf.layers
      .conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: (args.seed ?? 1) * 100 + layerIndex++ }), name: `${name}_${id}` })
      .apply(x) as tf.SymbolicTensor;
  let x = conv(input, f, 1, 'stem');
  for (let s = 0; s < (args.downsamplings ?? 2); s++) {
    x = conv(x, 2 * f, 2, `down${s}`);
    x = conv(x, 2 * f, 1, `conv${s}`);
  }
  return x;
}
