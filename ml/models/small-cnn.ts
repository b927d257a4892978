/**
 * A small plain CNN: per stage one 3×3 convolution (batch norm, ReLU), then 2×2 max pooling
 * between stages. Fast enough to train on a CPU in minutes; the default for small datasets.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BuildContext,
  checkClassCount,
  checkInputShape,
  checkPositiveInt,
  classificationHead,
  convUnit,
  inputLayer,
  ModelArgsError,
  type Backbone,
  type InputShape,
} from './common';

export interface SmallCnnArgs {
  /** [height, width, channels]; channels 1 or 3. Required. */
  inputShape: InputShape;
  /** Filters per stage; the number of stages is its length. Default [16, 32, 64]. */
  filters?: number[];
  /** Square kernel side. Default 3. */
  kernelSize?: number;
  /** Batch normalisation after each convolution. Default true. */
  batchNorm?: boolean;
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
}

export interface SmallCnnClassifierArgs extends SmallCnnArgs {
  /** Classes of the logits head (≥ 2). Required. */
  numClasses: number;
}

export const SMALL_CNN_DEFAULTS = { filters: [16, 32, 64], kernelSize: 3, batchNorm: true, seed: 0 } as const;
const NAME = 'smallCnn';

export function smallCnnBackbone(
  args: SmallCnnArgs,
  ctx = new BuildContext(args.seed ?? SMALL_CNN_DEFAULTS.seed),
): Backbone {
  const filters = args.filters ?? [...SMALL_CNN_DEFAULTS.filters];
  if (filters.length === 0) throw new ModelArgsError(`${NAME}: filters needs at least one stage.`);
  filters.forEach((f, i) => checkPositiveInt(f, `filters[${i}]`, NAME, 4096));
  const kernelSize = checkPositiveInt(args.kernelSize ?? SMALL_CNN_DEFAULTS.kernelSize, 'kernelSize', NAME, 11);
  const batchNorm = args.batchNorm ?? SMALL_CNN_DEFAULTS.batchNorm;
  const shape = checkInputShape(args.inputShape, NAME, 2 ** (filters.length - 1));
  const input = inputLayer(shape);
  const features: Backbone['features'] = [];
  let x = input;
  filters.forEach((f, stage) => {
    if (stage > 0) x = tf.layers.maxPooling2d({ name: ctx.name('pool'), poolSize: 2 }).apply(x) as tf.SymbolicTensor;
    x = convUnit(ctx, x, { filters: f, kernelSize, batchNorm, activation: 'relu' });
    features.push({ tensor: x, stride: 2 ** stage, channels: f });
  });
  return { input, features };
}

export function buildSmallCnn(args: SmallCnnClassifierArgs): tf.LayersModel {
  const ctx = new BuildContext(args.seed ?? SMALL_CNN_DEFAULTS.seed);
  const numClasses = checkClassCount(args.numClasses, NAME);
  return classificationHead(ctx, smallCnnBackbone(args, ctx), numClasses);
}
