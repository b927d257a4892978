/**
 * Seg-Grad-CAM (Vinogradova et al., 2020) for U-Net segmentation models: the score explained is
 * the sum of a class's logits over the region the model predicts for that class (or over the whole
 * image when it predicts the class nowhere, which the explanation says), and Grad-CAM, Grad-CAM++
 * or LayerCAM weights the target layer's feature map by its gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedFrame } from '../../contract/index';
import { LoupeError } from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { HEAD_PREFIX } from '../models/common';
import { classMap } from '../train/outputs';
import { gradientCam, type FeatureHeatmap, type ScoreOf } from './cam';
import type { ExplainedCard, ExplainOptions, FrameExplanation } from './explain-classification';
import { heatmapOnFrame, heatmapPeak } from './heatmap-on-frame';
import { featureMapLayers, splitAt } from './layer-split';
import {
  deletionInsertionAuc,
  RANDOMISED_TOP_LAYERS,
  rankByHeatmap,
  SANITY_CORRELATION_LIMIT,
  spearman,
  withRandomisedTop,
} from './trust';

export interface SegmentationExplanation extends Omit<FrameExplanation, 'probabilities'> {
  /** The class's mean probability over the region: what the score stands for. */
  probability: number;
  /** Input pixels whose logits were summed. */
  regionPixels: number;
  /** The model predicts the class nowhere on this image, so the score summed over every pixel. */
  wholeImage: boolean;
}

/** Same seed as the classifier's sanity check: the same image gives the same check every time. */
const SANITY_SEED = 2018;

/** The encoder's deepest feature map (U-Net's bottleneck): the last feature map outside the decoder head. */
export function backboneTargetLayer(model: tf.LayersModel): string {
  const names = featureMapLayers(model).filter((n) => !n.startsWith(HEAD_PREFIX));
  const last = names.at(-1);
  if (!last) throw new LoupeError('INVALID_REQUEST', `The model ${model.name} has no encoder feature map to explain.`);
  return last;
}

/**
 * Weights of the model's output whose product with it, summed, is the score: the class's logit at
 * each region pixel. A binary U-Net has one sigmoid logit z for the foreground; the background's is −z.
 */
function regionWeights(region: Uint8Array, classIndex: number, outputChannels: number, shape: number[]): tf.Tensor4D {
  const weights = new Float32Array(region.length * outputChannels);
  const channel = outputChannels === 1 ? 0 : classIndex;
  const sign = outputChannels === 1 && classIndex === 0 ? -1 : 1;
  region.forEach((inside, p) => {
    if (inside) weights[p * outputChannels + channel] = sign;
  });
  return tf.tensor4d(weights, shape as [number, number, number, number]);
}

/** Each output's mean probability of the class over the region (what deletion and insertion follow). */
function regionProbability(region: Uint8Array, classIndex: number, outputChannels: number) {
  const pixels = region.reduce((a, b) => a + b, 0);
  return (output: tf.Tensor): tf.Tensor1D => {
    const probabilities =
      outputChannels === 1
        ? tf.sigmoid(classIndex === 0 ? output.neg() : output)
        : tf.softmax(output).slice([0, 0, 0, classIndex], [-1, -1, -1, 1]);
    const mask = tf.tensor4d(Float32Array.from(region), [1, ...(output.shape.slice(1, 3) as [number, number]), 1]);
    return probabilities.mul(mask).sum([1, 2, 3]).div(pixels) as tf.Tensor1D;
  };
}

/** The foreground class with the largest predicted area; the first foreground class when none is predicted. */
function largestForeground(labels: Uint8Array, classCount: number): number {
  const counts = new Array<number>(classCount).fill(0);
  for (const label of labels) counts[label]! += 1;
  let best = 1;
  for (let c = 2; c < classCount; c++) if (counts[c]! > counts[best]!) best = c;
  return best;
}

export async function explainSegmentation(
  model: tf.LayersModel,
  card: ExplainedCard,
  frame: DecodedFrame,
  options: ExplainOptions,
): Promise<SegmentationExplanation> {
  const { method } = options;
  if (method !== 'gradcam' && method !== 'gradcam++' && method !== 'layercam')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Segmentation models are explained with gradcam, gradcam++ or layercam (Seg-Grad-CAM); ${method} is for classifiers.`,
    );
  const { rows, columns, channels } = card.input;
  const { input, placement } = preprocessFrame(frame, card.preprocessing);
  const image = tf.tensor4d(input, [1, rows, columns, channels]);
  try {
    const output = tf.tidy(() => model.predict(image) as tf.Tensor4D);
    const outputShape = output.shape;
    const outputChannels = outputShape[3];
    const labels = classMap((await output.data()) as Float32Array, 0, rows * columns, outputChannels);
    output.dispose();
    const classIndex = options.classIndex ?? largestForeground(labels, card.classes.length);
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= card.classes.length) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `There is no class ${classIndex}: the model has ${card.classes.length} classes (${card.classes.join(', ')}).`,
      );
    }
    let region = labels.map((label) => (label === classIndex ? 1 : 0));
    const regionPixels = region.reduce((a, b) => a + b, 0);
    const wholeImage = regionPixels === 0;
    if (wholeImage) region = region.fill(1);
    const weights = regionWeights(region, classIndex, outputChannels, outputShape);
    const score: ScoreOf = (out) => out.mul(weights).sum() as tf.Scalar;
    const targetLayer = options.targetLayer ?? backboneTargetLayer(model);
    const split = splitAt(model, targetLayer);
    const explainNow = (): Promise<FeatureHeatmap> => gradientCam(split, image, score, method);
    try {
      const featureHeatmap = await explainNow();
      const probabilityOf = regionProbability(region, classIndex, outputChannels);
      const probabilityTensor = tf.tidy(() => probabilityOf(model.predict(image) as tf.Tensor));
      // Read asynchronously: WebGPU in Node has no synchronous read (it needs an OffscreenCanvas).
      const probability = (await probabilityTensor.data())[0]!;
      probabilityTensor.dispose();
      const heatmap = heatmapOnFrame(featureHeatmap, { rows, columns }, placement, frame);
      const explanation: SegmentationExplanation = {
        heatmap,
        featureHeatmap,
        classIndex,
        probability,
        peak: heatmapPeak(heatmap),
        targetLayer,
        regionPixels: wholeImage ? 0 : regionPixels,
        wholeImage,
      };
      if (!options.trust) return explanation;
      const whole = { top: 0, left: 0, height: rows, width: columns };
      const onInput = heatmapOnFrame(featureHeatmap, { rows, columns }, whole, { rows, columns });
      const order = rankByHeatmap(onInput.values);
      const auc = await deletionInsertionAuc(model, input, [rows, columns, channels], order, probabilityOf);
      const randomised = await withRandomisedTop(model, RANDOMISED_TOP_LAYERS, SANITY_SEED, explainNow);
      const sanityCorrelation = spearman(featureHeatmap.values, randomised.values);
      return {
        ...explanation,
        trust: {
          deletionAuc: auc.deletion,
          insertionAuc: auc.insertion,
          sanityCorrelation,
          sanityPassed: sanityCorrelation < SANITY_CORRELATION_LIMIT,
        },
      };
    } finally {
      weights.dispose();
    }
  } finally {
    image.dispose();
  }
}
