/**
 * Similarity maps for a Siamese (verification) model: for a pair (A, B) the score is the cosine
 * similarity of their embeddings, and each image gets a Grad-CAM map from d(cos)/d(its own
 * branch's feature map), the other image's embedding held fixed. Both branches are one model
 * with shared weights, so "A's branch" is simply the model run on A: the map on A shows which
 * regions of A make it look like B (Grad-CAM: ReLU of the feature map weighted by the spatial
 * mean of that gradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedFrame } from '../../contract/index';
import { LoupeError } from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { gradientCam, type FeatureHeatmap, type GradientCamMethod } from './cam';
import type { ExplainedCard } from './explain-classification';
import { backboneTargetLayer } from './explain-segmentation';
import { heatmapOnFrame, heatmapPeak, type FrameHeatmap } from './heatmap-on-frame';
import { splitAt, type SplitModel } from './layer-split';

/** Keeps the cosine finite for an all-zero embedding (the model's own L2 layer uses the same floor). */
const NORM_EPSILON = 1e-12;

export interface PairSide {
  heatmap: FrameHeatmap;
  featureHeatmap: FeatureHeatmap;
  /** The heatmap's maximum, `[x, y]` in frame pixels. */
  peak: [number, number];
}

export interface PairExplanation {
  /** Cosine similarity of the two embeddings (−1…1). */
  similarity: number;
  a: PairSide;
  b: PairSide;
  targetLayer: string;
}

/** cos(output, other), with `other` a constant embedding [1, D]. */
export function cosineWith(other: tf.Tensor): (output: tf.Tensor) => tf.Scalar {
  return (output) => {
    const norms = output.square().sum().sqrt().mul(other.square().sum().sqrt()).maximum(NORM_EPSILON);
    return output.mul(other).sum().div(norms) as tf.Scalar;
  };
}

/** Both images' maps at feature resolution, and the similarity, for preprocessed inputs [1, H, W, C]. */
export async function pairCams(
  model: tf.LayersModel,
  split: SplitModel,
  imageA: tf.Tensor4D,
  imageB: tf.Tensor4D,
  method: GradientCamMethod,
): Promise<{ similarity: number; a: FeatureHeatmap; b: FeatureHeatmap }> {
  const embeddingA = tf.tidy(() => model.predict(imageA) as tf.Tensor);
  const embeddingB = tf.tidy(() => model.predict(imageB) as tf.Tensor);
  try {
    const cosine = tf.tidy(() => cosineWith(embeddingB)(embeddingA));
    // Read asynchronously: WebGPU in Node has no synchronous read (it needs an OffscreenCanvas).
    const similarity = (await cosine.data())[0]!;
    cosine.dispose();
    const a = await gradientCam(split, imageA, cosineWith(embeddingB), method);
    const b = await gradientCam(split, imageB, cosineWith(embeddingA), method);
    return { similarity, a, b };
  } finally {
    embeddingA.dispose();
    embeddingB.dispose();
  }
}

export async function explainVerification(
  model: tf.LayersModel,
  card: ExplainedCard,
  frameA: DecodedFrame,
  frameB: DecodedFrame,
  options: { method: GradientCamMethod; targetLayer?: string },
): Promise<PairExplanation> {
  if (card.task !== 'verification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `This explainer is for verification models; the model is for ${card.task}.`,
    );
  const { rows, columns, channels } = card.input;
  const targetLayer = options.targetLayer ?? backboneTargetLayer(model);
  const split = splitAt(model, targetLayer);
  const a = preprocessFrame(frameA, card.preprocessing);
  const b = preprocessFrame(frameB, card.preprocessing);
  const imageA = tf.tensor4d(a.input, [1, rows, columns, channels]);
  const imageB = tf.tensor4d(b.input, [1, rows, columns, channels]);
  try {
    const maps = await pairCams(model, split, imageA, imageB, options.method);
    const side = (map: FeatureHeatmap, placement: typeof a.placement, frame: DecodedFrame): PairSide => {
      const heatmap = heatmapOnFrame(map, { rows, columns }, placement, frame);
      return { heatmap, featureHeatmap: map, peak: heatmapPeak(heatmap) };
    };
    return {
      similarity: maps.similarity,
      a: side(maps.a, a.placement, frameA),
      b: side(maps.b, b.placement, frameB),
      targetLayer,
    };
  } finally {
    imageA.dispose();
    imageB.dispose();
  }
}
