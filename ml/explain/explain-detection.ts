/**
 * Grad-CAM, Grad-CAM++ and LayerCAM for a CenterNet detector, one map per box: the boxes are the ones the
 * Predictor shows (peaks decoded, then the card's threshold and NMS), and each box's score is the
 * heatmap head's logit (before its sigmoid) at the cell its peak came from, in its class's
 * channel. Differentiating that one cell asks "what made the model put an object of this class
 * here", so two boxes of one image get two different maps.
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedFrame, DetectionSettingsOverride } from '../../contract/index';
import { DEFAULT_EXPLAINED_BOXES, LoupeError } from '../../contract/index';
import { boxToFrame } from '../data/box-placement';
import { preprocessFrame } from '../data/preprocessing';
import type { Box } from '../detection/boxes';
import { decodeCenterNet, type CenterNetCandidates } from '../detection/centernet-decode';
import { postprocessDetections, type Detection } from '../detection/postprocess';
import { postprocessFor } from '../train/tasks/detection-evaluation';
import { resolvedDetectionSettings } from '../train/tasks/settings';
import { gradientCam, type FeatureHeatmap, type GradientCamMethod } from './cam';
import type { ExplainedCard } from './explain-classification';
import { backboneTargetLayer } from './explain-segmentation';
import { heatmapOnFrame, heatmapPeak, type FrameHeatmap } from './heatmap-on-frame';
import { nodeOf, splitAt, type SplitModel } from './layer-split';

/** The heatmap branch's last convolution (centernet-head.ts names it `<head>_heatmap_out`). */
const HEATMAP_OUT_SUFFIX = '_heatmap_out';

export interface DetectionExplainOptions {
  method: GradientCamMethod;
  /** Layer name; default the backbone's last feature map. */
  targetLayer?: string;
  /** Post-processing to use instead of the card's (as `predict` takes). */
  detection?: DetectionSettingsOverride;
  /** At most this many boxes are explained, best first. */
  maxBoxes?: number;
  /** Runs between boxes (cancellation, yielding to messages). */
  betweenPasses?: () => Promise<void>;
}

export interface BoxExplanation {
  /** [x1, y1, x2, y2] in frame pixels, as the Predictor returns it. */
  box: Box;
  score: number;
  classIndex: number;
  /** Centre of the output cell whose logit was explained, `[x, y]` in frame pixels. */
  peak: [number, number];
  heatmap: FrameHeatmap;
  featureHeatmap: FeatureHeatmap;
  /** The heatmap's maximum, `[x, y]` in frame pixels. */
  heatmapPeak: [number, number];
}

export interface DetectionExplanation {
  boxes: BoxExplanation[];
  /** Boxes the model found that were not explained (over `maxBoxes`). */
  boxesLeftOut: number;
  targetLayer: string;
}

/** The heatmap branch's hidden map (the last convolution's input) and that convolution's kernel and bias. */
function heatmapLogitLayer(model: tf.LayersModel): { hidden: tf.SymbolicTensor; layer: tf.layers.Layer } {
  const layer = model.layers.find((l) => l.name.endsWith(HEATMAP_OUT_SUFFIX) && l.getClassName() === 'Conv2D');
  if (!layer)
    throw new LoupeError('INVALID_REQUEST', `The model ${model.name} has no CenterNet heatmap head to explain.`);
  return { hidden: nodeOf(layer).inputTensors[0]!, layer };
}

/**
 * A split whose head ends at the heatmap logits [1, H, W, classes]: the last convolution without
 * its sigmoid (differentiating the logit keeps saturated peaks, p ≈ 1, from having no gradient).
 */
export function heatmapLogitSplit(model: tf.LayersModel, targetLayer: string): SplitModel {
  const split = splitAt(model, targetLayer);
  const { hidden, layer } = heatmapLogitLayer(model);
  const config = layer.getConfig() as { strides: number | number[]; padding: 'same' | 'valid' };
  const strides = (Array.isArray(config.strides) ? config.strides : [config.strides, config.strides]) as [
    number,
    number,
  ];
  return {
    features: (input) => split.features(input),
    head: (featureMap, context) => {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
      const h = split.head(featureMap, context, hidden) as tf.Tensor4D;
      const logits = tf.conv2d(h, kernel, strides, config.padding);
      return bias ? logits.add(bias) : logits;
    },
  };
}

/** The score of one box: its class's logit at its peak cell (a one-hot product: gather has no wasm gradient). */
export function cellLogit(shape: readonly number[], cell: number, classIndex: number) {
  const [, h, w, classes] = shape as [number, number, number, number];
  const y = Math.floor(cell / w);
  const x = cell % w;
  if (y >= h || classIndex >= classes)
    throw new RangeError(`Cell ${cell}, class ${classIndex} is outside the heatmap.`);
  return (logits: tf.Tensor): tf.Scalar => {
    const mask = tf.buffer([1, h, w, classes]);
    mask.set(1, 0, y, x, classIndex);
    return logits.mul(mask.toTensor()).sum() as tf.Scalar;
  };
}

/** Grad-CAM, Grad-CAM++ or LayerCAM of one cell's class logit, at feature resolution. */
export function boxCam(
  split: SplitModel,
  logitShape: readonly number[],
  image: tf.Tensor4D,
  cell: number,
  classIndex: number,
  method: GradientCamMethod,
): Promise<FeatureHeatmap> {
  return gradientCam(split, image, cellLogit(logitShape, cell, classIndex), method);
}

/** Each detection's peak cell: the candidate it was kept from (suppression keeps boxes and classes as they were). */
function cellsOf(detections: readonly Detection[], candidates: CenterNetCandidates): number[] {
  const used = new Set<number>();
  return detections.map((d) => {
    for (let i = 0; i < candidates.cells.length; i++) {
      if (used.has(i) || candidates.classIds[i] !== d.classId) continue;
      const at = 4 * i;
      if (d.box.every((v, k) => v === candidates.boxes[at + k])) {
        used.add(i);
        return candidates.cells[i]!;
      }
    }
    throw new Error('A detection does not match any decoded peak.');
  });
}

export async function explainDetection(
  model: tf.LayersModel,
  card: ExplainedCard & { detection?: DetectionSettingsOverride | undefined },
  frame: DecodedFrame,
  options: DetectionExplainOptions,
): Promise<DetectionExplanation> {
  if (card.task !== 'detection')
    throw new LoupeError('INVALID_REQUEST', `This explainer is for detection models; the model is for ${card.task}.`);
  const { rows, columns, channels } = card.input;
  const { input, placement } = preprocessFrame(frame, card.preprocessing);
  const settings = resolvedDetectionSettings(card.detection, options.detection);
  const targetLayer = options.targetLayer ?? backboneTargetLayer(model);
  const split = heatmapLogitSplit(model, targetLayer);
  const image = tf.tensor4d(input, [1, rows, columns, channels]);
  try {
    const output = tf.tidy(() => model.predict(image) as tf.Tensor4D);
    const [, h, w] = output.shape;
    const stride = rows / h;
    let candidates: CenterNetCandidates;
    try {
      [candidates] = (await decodeCenterNet(output, {
        numClasses: card.classes.length,
        stride,
        topK: settings.topK,
        imageWidth: columns,
        imageHeight: rows,
      })) as [CenterNetCandidates];
    } finally {
      output.dispose();
    }
    const detections = postprocessDetections(candidates, postprocessFor(settings));
    const maxBoxes = options.maxBoxes ?? DEFAULT_EXPLAINED_BOXES;
    const explained = detections.slice(0, maxBoxes);
    const cells = cellsOf(explained, candidates);
    const logitShape = [1, h, w, card.classes.length];
    const toFrame = (box: Box): Box => boxToFrame(box, placement, frame.rows, frame.columns);
    const boxes: BoxExplanation[] = [];
    for (const [i, detection] of explained.entries()) {
      await options.betweenPasses?.();
      const cell = cells[i]!;
      const featureHeatmap = await boxCam(split, logitShape, image, cell, detection.classId, options.method);
      const heatmap = heatmapOnFrame(featureHeatmap, { rows, columns }, placement, frame);
      const cx = ((cell % w) + 0.5) * stride;
      const cy = (Math.floor(cell / w) + 0.5) * stride;
      const peakOnFrame = toFrame([cx, cy, cx, cy]);
      boxes.push({
        box: toFrame(detection.box),
        score: detection.score,
        classIndex: detection.classId,
        peak: [
          Math.min(Math.floor(peakOnFrame[0]), frame.columns - 1),
          Math.min(Math.floor(peakOnFrame[1]), frame.rows - 1),
        ],
        heatmap,
        featureHeatmap,
        heatmapPeak: heatmapPeak(heatmap),
      });
    }
    return { boxes, boxesLeftOut: detections.length - explained.length, targetLayer };
  } finally {
    image.dispose();
  }
}
