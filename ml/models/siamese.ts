/**
 * The embedding model of a Siamese network: a backbone, then the L2-normalised embedding head
 * (ml/siamese/embedding.ts). Both images of a pair go through this one model, so the "two
 * branches" share every weight by construction.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneConfig } from '../../contract/index';
import { deriveSeed } from '../data/random';
import { buildEmbeddingHead, type EmbeddingPooling } from '../siamese/embedding';
import { backboneFor } from './backbones';
import { BuildContext, HEAD_PREFIX, type InputShape } from './common';

export interface SiameseEmbeddingArgs {
  /** [height, width, channels]. Required. */
  inputShape: InputShape;
  /** The feature extractor. Required. */
  backbone: BackboneConfig;
  /** Length of the embedding. Default 64. */
  embeddingDim?: number;
  /** Feature map to vector. Default 'average'. */
  pooling?: EmbeddingPooling;
  /** Hidden ReLU units before the embedding; 0 for none. Default 0. */
  hiddenUnits?: number;
  /** Seed of every initialiser. Default 0. */
  seed?: number;
}

export const SIAMESE_DEFAULTS = { embeddingDim: 64, pooling: 'average', hiddenUnits: 0, seed: 0 } as const;
/** Keeps the head's seeds apart from the backbone's. */
const HEAD_SEED_STREAM = 0x5a3;

export function buildSiameseEmbedding(args: SiameseEmbeddingArgs): tf.LayersModel {
  const seed = args.seed ?? SIAMESE_DEFAULTS.seed;
  const backbone = backboneFor(args.backbone, args.inputShape, new BuildContext(seed));
  const embedding = buildEmbeddingHead(backbone.features.at(-1)!.tensor, {
    embeddingDim: args.embeddingDim ?? SIAMESE_DEFAULTS.embeddingDim,
    pooling: args.pooling ?? SIAMESE_DEFAULTS.pooling,
    hiddenUnits: args.hiddenUnits ?? SIAMESE_DEFAULTS.hiddenUnits,
    name: `${HEAD_PREFIX}embedding`,
    seed: deriveSeed(seed, HEAD_SEED_STREAM),
  });
  return tf.model({ inputs: backbone.input, outputs: embedding });
}
