/**
 * U-Net (Ronneberger et al. 2015) with same-padding: an encoder of double 3×3 convolutions and
 * max pooling, a mirror decoder of ×2 upsampling, skip concatenation and double convolutions,
 * and a 1×1 convolution giving logits: one channel (sigmoid) for a binary task, one per class
 * (softmax) otherwise. The encoder is a Backbone; the decoder's layers carry HEAD_PREFIX.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BuildContext,
  checkClassCount,
  checkInputShape,
  checkPositiveInt,
  convUnit,
  HEAD_PREFIX,
  inputLayer,
  type Backbone,
  type InputShape,
} from './common';

export interface UNetArgs {
  /** [height, width, channels]; channels 1 or 3; sides multiples of 2^depth. Required. */
  inputShape: InputShape;
  /** Classes including background (≥ 2); 2 gives one sigmoid channel. Required. */
  numClasses: number;
  /** Poolings between input and bottleneck. Default 4 (the paper's). */
  depth?: number;
  /** Filters at full resolution; doubled at each level down. Default 16 (the paper: 64). */
  baseFilters?: number;
  /** Batch normalisation after each convolution. Default true. */
  batchNorm?: boolean;
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
}

export const UNET_DEFAULTS = { depth: 4, baseFilters: 16, batchNorm: true, seed: 0 } as const;
const NAME = 'unet';

/** Channels of the U-Net's logits for a class count: binary tasks use one sigmoid channel. */
export function segmentationOutputChannels(numClasses: number): number {
  return numClasses === 2 ? 1 : numClasses;
}

function doubleConv(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  filters: number,
  batchNorm: boolean,
  prefix = '',
): tf.SymbolicTensor {
  const y = convUnit(ctx, x, { filters, kernelSize: 3, batchNorm, activation: 'relu', prefix });
  return convUnit(ctx, y, { filters, kernelSize: 3, batchNorm, activation: 'relu', prefix });
}

/** The encoder: one feature map per level (stride 1, 2, 4…), the bottleneck last. */
export function unetEncoder(
  args: Omit<UNetArgs, 'numClasses'>,
  ctx = new BuildContext(args.seed ?? UNET_DEFAULTS.seed),
): Backbone {
  const depth = checkPositiveInt(args.depth ?? UNET_DEFAULTS.depth, 'depth', NAME, 6);
  const base = checkPositiveInt(args.baseFilters ?? UNET_DEFAULTS.baseFilters, 'baseFilters', NAME, 512);
  const batchNorm = args.batchNorm ?? UNET_DEFAULTS.batchNorm;
  const shape = checkInputShape(args.inputShape, NAME, 2 ** depth, 2 ** depth);
  const input = inputLayer(shape);
  const features: Backbone['features'] = [];
  let x = input;
  for (let level = 0; level <= depth; level++) {
    if (level > 0) x = tf.layers.maxPooling2d({ name: ctx.name('pool'), poolSize: 2 }).apply(x) as tf.SymbolicTensor;
    x = doubleConv(ctx, x, base * 2 ** level, batchNorm);
    features.push({ tensor: x, stride: 2 ** level, channels: base * 2 ** level });
  }
  return { input, features };
}

export function buildUNet(args: UNetArgs): tf.LayersModel {
  const ctx = new BuildContext(args.seed ?? UNET_DEFAULTS.seed);
  const numClasses = checkClassCount(args.numClasses, NAME);
  const batchNorm = args.batchNorm ?? UNET_DEFAULTS.batchNorm;
  const encoder = unetEncoder(args, ctx);
  let x = encoder.features.at(-1)!.tensor;
  for (let level = encoder.features.length - 2; level >= 0; level--) {
    const skip = encoder.features[level]!;
    x = tf.layers.upSampling2d({ name: ctx.name(`${HEAD_PREFIX}up`), size: [2, 2] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: ctx.name(`${HEAD_PREFIX}concat`) }).apply([x, skip.tensor]) as tf.SymbolicTensor;
    x = doubleConv(ctx, x, skip.channels, batchNorm, HEAD_PREFIX);
  }
  const logits = tf.layers
    .conv2d({
      name: ctx.name(`${HEAD_PREFIX}logits`),
      filters: segmentationOutputChannels(numClasses),
      kernelSize: 1,
      kernelInitializer: ctx.glorotUniform(),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: encoder.input, outputs: logits });
}
