/**
 * A CenterNet detector on any of the engine's backbones: the backbone's deepest features are
 * brought up to `outputStride` by a top-down path (nearest ×2 upsampling, concatenation with the
 * backbone's map at that stride, a 3×3 convolution; an FPN-style neck, as CenterNet's ResNet
 * variants upsample to stride 4), then the CenterNet head (ml/detection/centernet-head.ts) gives
 * [batch, H / stride, W / stride, numClasses + 4]. Every layer after the backbone is a head layer.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneConfig } from '../../contract/index';
import { buildCenterNetHead } from '../detection/centernet-head';
import { deriveSeed } from '../data/random';
import { backboneFor } from './backbones';
import { BuildContext, checkInputShape, convUnit, HEAD_PREFIX, ModelArgsError, type InputShape } from './common';

export interface CenterNetDetectorArgs {
  /** [height, width, channels]; each side a multiple of the backbone's deepest stride. Required. */
  inputShape: InputShape;
  /** Object classes (heatmap channels), ≥ 1. Required. */
  numClasses: number;
  /** The feature extractor. Required. */
  backbone: BackboneConfig;
  /** Input pixels per output cell. Default 4 (CenterNet). */
  outputStride?: number;
  /** Hidden channels of each head branch. Default 64 (CenterNet). */
  headChannels?: number;
  /** Seed of every initialiser. Default 0. */
  seed?: number;
}

export const CENTERNET_DETECTOR_DEFAULTS = { outputStride: 4, headChannels: 64, seed: 0 } as const;
/** Keeps the head's seeds apart from the backbone's. */
const HEAD_SEED_STREAM = 0x4e7;
const NAME = 'centernet';

export function buildCenterNetDetector(args: CenterNetDetectorArgs): tf.LayersModel {
  const seed = args.seed ?? CENTERNET_DETECTOR_DEFAULTS.seed;
  const ctx = new BuildContext(seed);
  const outputStride = args.outputStride ?? CENTERNET_DETECTOR_DEFAULTS.outputStride;
  if (!Number.isInteger(args.numClasses) || args.numClasses < 1)
    throw new ModelArgsError(`${NAME}: numClasses must be an integer of at least 1, got ${args.numClasses}.`);
  const backbone = backboneFor(args.backbone, args.inputShape, ctx);
  const deepest = backbone.features.at(-1)!;
  if (deepest.stride < outputStride) {
    throw new ModelArgsError(
      `${NAME}: the ${args.backbone.architecture} backbone's deepest features are at stride ${deepest.stride}; choose an outputStride of at most ${deepest.stride}, or a backbone with more stages.`,
    );
  }
  // Upsampling doubles sizes exactly only when every stride divides the input.
  checkInputShape(args.inputShape, NAME, deepest.stride, deepest.stride);
  let x = deepest.tensor;
  for (let stride = deepest.stride; stride > outputStride; stride /= 2) {
    x = tf.layers.upSampling2d({ name: ctx.name(`${HEAD_PREFIX}up`), size: [2, 2] }).apply(x) as tf.SymbolicTensor;
    const skip = backbone.features.find((f) => f.stride === stride / 2);
    if (skip)
      x = tf.layers
        .concatenate({ name: ctx.name(`${HEAD_PREFIX}concat`) })
        .apply([x, skip.tensor]) as tf.SymbolicTensor;
    const channels = skip?.channels ?? (x.shape.at(-1) as number);
    x = convUnit(ctx, x, {
      filters: channels,
      kernelSize: 3,
      batchNorm: true,
      activation: 'relu',
      prefix: HEAD_PREFIX,
    });
  }
  const output = buildCenterNetHead(x, {
    numClasses: args.numClasses,
    headChannels: args.headChannels ?? CENTERNET_DETECTOR_DEFAULTS.headChannels,
    name: `${HEAD_PREFIX}centernet`,
    seed: deriveSeed(seed, HEAD_SEED_STREAM),
  });
  return tf.model({ inputs: backbone.input, outputs: output });
}
