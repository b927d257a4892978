/**
 * Explains one frame of a classifier: the frame goes through the model card's preprocessing (the
 * same `preprocessFrame` the Predictor uses), the chosen CAM method runs at the target layer, and
 * the heatmap comes back on the frame's own pixels.
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedFrame, ExplainMethodName, ModelCard } from '../../contract/index';
import { LoupeError } from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { argmax } from '../metrics/classification';
import { softmaxRow } from '../train/outputs';
import { classActivationMap, classLogit, gradientCam, type FeatureHeatmap } from './cam';
import { heatmapOnFrame, heatmapPeak, type FrameHeatmap } from './heatmap-on-frame';
import { defaultTargetLayer, splitAt } from './layer-split';
import { guidedBackprop, guidedGradCam } from './guided-backprop';
import { scoreCam } from './score-cam';
import {
  deletionInsertionAuc,
  RANDOMISED_TOP_LAYERS,
  rankByHeatmap,
  SANITY_CORRELATION_LIMIT,
  spearman,
  withRandomisedTop,
} from './trust';

export type ExplainMethod = ExplainMethodName;

export interface ExplainOptions {
  method: ExplainMethod;
  /** Class index to explain; default the predicted class. */
  classIndex?: number;
  /** Layer name; default the backbone's last feature map. */
  targetLayer?: string;
  /** Also measure deletion/insertion AUC and the randomisation sanity check (more forward passes). */
  trust?: boolean;
  /** Runs between Score-CAM's chunks of masked forward passes (cancellation, yielding to messages). */
  betweenPasses?: () => Promise<void>;
}

export interface TrustMeasures {
  /** Mean class probability while pixels are removed in heatmap order (lower is better). */
  deletionAuc: number;
  /** Mean class probability while pixels are added in heatmap order (higher is better). */
  insertionAuc: number;
  /** Spearman correlation with the heatmap of the model with its top layers re-initialised. */
  sanityCorrelation: number;
  /** The heatmap depends on the trained weights: the correlation is below SANITY_CORRELATION_LIMIT. */
  sanityPassed: boolean;
}

export interface FrameExplanation {
  heatmap: FrameHeatmap;
  /** At feature resolution (input resolution for the guided methods), before it is put on the frame. */
  featureHeatmap: FeatureHeatmap;
  classIndex: number;
  probabilities: number[];
  peak: [number, number];
  targetLayer: string;
  trust?: TrustMeasures;
}

/** Seed of the re-initialised weights: the same image gives the same sanity check every time. */
const SANITY_SEED = 2018;

/** The dense kernel of a global-average-pooling + dense head, which is what CAM needs. */
function camKernel(model: tf.LayersModel, targetLayer: string): tf.Tensor2D {
  const layers = model.layers;
  const at = layers.findIndex((l) => l.name === targetLayer);
  const pool = layers[at + 1];
  const dense = layers[at + 2];
  if (
    at !== layers.length - 3 ||
    pool?.getClassName() !== 'GlobalAveragePooling2D' ||
    dense?.getClassName() !== 'Dense'
  ) {
    throw new LoupeError(
      'INVALID_REQUEST',
      'CAM needs a global-average-pooling + dense head right after the target layer; use gradcam, gradcam++ or layercam for this model or layer.',
    );
  }
  return dense.getWeights()[0] as tf.Tensor2D;
}

export type ExplainedCard = Pick<ModelCard, 'task' | 'classes' | 'input' | 'preprocessing'>;

export async function explainClassification(
  model: tf.LayersModel,
  card: ExplainedCard,
  frame: DecodedFrame,
  options: ExplainOptions,
): Promise<FrameExplanation> {
  if (card.task !== 'classification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `This explainer is for classification models; the model is for ${card.task}.`,
    );
  const { rows, columns, channels } = card.input;
  const { input, placement } = preprocessFrame(frame, card.preprocessing);
  const targetLayer = options.targetLayer ?? defaultTargetLayer(model);
  const split = splitAt(model, targetLayer);
  const image = tf.tensor4d(input, [1, rows, columns, channels]);
  try {
    const logits = tf.tidy(() => model.predict(image) as tf.Tensor);
    const probabilities = softmaxRow((await logits.data()) as Float32Array, 0, card.classes.length);
    logits.dispose();
    const classIndex = options.classIndex ?? argmax(probabilities);
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= card.classes.length) {
      throw new LoupeError(
        'INVALID_REQUEST',
        `There is no class ${classIndex}: the model has ${card.classes.length} classes (${card.classes.join(', ')}).`,
      );
    }
    const explainNow = async (): Promise<FeatureHeatmap> => {
      if (options.method === 'cam')
        return await classActivationMap(split, image, camKernel(model, targetLayer), classIndex);
      if (options.method === 'scorecam') return await scoreCam(model, split, image, classIndex, options.betweenPasses);
      const score = classLogit(classIndex);
      if (options.method === 'guided-backprop') return await guidedBackprop(model, image, score);
      if (options.method === 'guided-gradcam')
        return await guidedGradCam(model, image, score, await gradientCam(split, image, score, 'gradcam'));
      return await gradientCam(split, image, score, options.method);
    };
    const featureHeatmap = await explainNow();
    const heatmap = heatmapOnFrame(featureHeatmap, { rows, columns }, placement, frame);
    const explanation = { heatmap, featureHeatmap, classIndex, probabilities, peak: heatmapPeak(heatmap), targetLayer };
    if (!options.trust) return explanation;
    const whole = { top: 0, left: 0, height: rows, width: columns };
    const onInput = heatmapOnFrame(featureHeatmap, { rows, columns }, whole, { rows, columns });
    const auc = await deletionInsertionAuc(
      model,
      input,
      [rows, columns, channels],
      rankByHeatmap(onInput.values),
      classIndex,
    );
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
    image.dispose();
  }
}
