/**
 * A CenterNet-style detection head ("Objects as Points", Zhou et al. 2019) for any backbone
 * feature map: per output cell, a centre heatmap per class, the box size and the sub-cell offset
 * of the centre. Single stage, anchor-free, no NMS needed in principle (Loupe still applies it).
 *
 * The head returns ONE tensor [batch, H, W, numClasses + 4] so that a model has one output, one
 * loss and one target tensor; the channel layout is CENTERNET_CHANNELS below. H × W is the
 * backbone's feature map: each cell covers `stride` × `stride` input pixels.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../models/conv2d';

/** Channel layout of the head's output, after the numClasses heatmap channels. */
export const CENTERNET_CHANNELS = {
  /** Box width and height, in feature-map cells. */
  size: 0,
  /** Centre offset x and y within its cell, in cells (0 … 1). */
  offset: 2,
  /** Channels after the heatmap in the output: size (2) + offset (2). */
  regression: 4,
} as const;

/**
 * Initial heatmap probability: CenterNet initialises the heatmap bias to −2.19 = logit(0.1) so
 * the focal loss does not start by punishing every background cell.
 */
export const HEATMAP_PRIOR = 0.1;

export interface CenterNetHeadArgs {
  /** Object classes (heatmap channels). Required, ≥ 1. */
  numClasses: number;
  /** Channels of each branch's hidden 3×3 convolution. Default 64 (CenterNet on ResNet/DLA). */
  headChannels?: number;
  /** Layer-name prefix, so two heads can share a model. Default 'centernet'. */
  name?: string;
  /** Seed for the initial weights (each layer gets seed + its index); unseeded when absent. */
  seed?: number;
}

export const CENTERNET_HEAD_DEFAULTS = { headChannels: 64, name: 'centernet' } as const;

function kernelInit(seed: number | undefined, index: number) {
  return seed === undefined ? {} : { kernelInitializer: tf.initializers.glorotUniform({ seed: seed + index }) };
}

function branch(
  features: tf.SymbolicTensor,
  outChannels: number,
  hidden: number,
  name: string,
  activation: 'sigmoid' | 'linear',
  seedAt: (i: number) => object,
  biasInit?: number,
): tf.SymbolicTensor {
  const h = conv2d({
    filters: hidden,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    name: `${name}_conv`,
    ...seedAt(0),
  }).apply(features) as tf.SymbolicTensor;
  return conv2d({
    filters: outChannels,
    kernelSize: 1,
    activation,
    name: `${name}_out`,
    ...seedAt(1),
    ...(biasInit !== undefined ? { biasInitializer: tf.initializers.constant({ value: biasInit }) } : {}),
  }).apply(h) as tf.SymbolicTensor;
}

/** Builds the head on `features` ([batch, H, W, C] symbolic); returns [batch, H, W, numClasses + 4]. */
export function buildCenterNetHead(features: tf.SymbolicTensor, args: CenterNetHeadArgs): tf.SymbolicTensor {
  if (!Number.isInteger(args.numClasses) || args.numClasses < 1)
    throw new RangeError(`A detector needs at least one class; got numClasses = ${args.numClasses}.`);
  if (features.shape.length !== 4)
    throw new RangeError(
      `The detection head needs a [batch, H, W, C] feature map; got shape [${features.shape.join(', ')}].`,
    );
  const hidden = args.headChannels ?? CENTERNET_HEAD_DEFAULTS.headChannels;
  const name = args.name ?? CENTERNET_HEAD_DEFAULTS.name;
  const prior = Math.log(HEATMAP_PRIOR / (1 - HEATMAP_PRIOR));
  const heatmap = branch(
    features,
    args.numClasses,
    hidden,
    `${name}_heatmap`,
    'sigmoid',
    (i) => kernelInit(args.seed, i),
    prior,
  );
  const size = branch(features, 2, hidden, `${name}_size`, 'linear', (i) => kernelInit(args.seed, 2 + i));
  const offset = branch(features, 2, hidden, `${name}_offset`, 'linear', (i) => kernelInit(args.seed, 4 + i));
  return tf.layers
    .concatenate({ axis: -1, name: `${name}_output` })
    .apply([heatmap, size, offset]) as tf.SymbolicTensor;
}
