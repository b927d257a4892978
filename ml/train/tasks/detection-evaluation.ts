/**
 * Scores a detector on one split: every image through the model, CenterNet peaks decoded, the
 * settings' post-processing (threshold, NMS or soft-NMS, max detections), then COCO's mAP on the
 * frames' own pixels (area ranges mean what COCO means) and precision/recall at the threshold.
 */
import * as tf from '@tensorflow/tfjs';
import {
  DETECTION_AP_SCORE_FLOOR,
  LoupeError,
  type DetectionReport,
  type DetectionSettings,
  type SplitName,
} from '../../../contract/index';
import { boxToFrame } from '../../data/box-placement';
import type { PreparedDataset, PreparedSample } from '../../data/dataset';
import { batchRanges } from '../../data/batches';
import type { Box } from '../../detection/boxes';
import { decodeCenterNet } from '../../detection/centernet-decode';
import { postprocessDetections, type Detection, type PostprocessArgs } from '../../detection/postprocess';
import { yieldToMessages } from '../../worker/runtime';
import { evaluateDetections } from '../../metrics/detection';
import type { EvaluationOutcome } from '../evaluate';
import { outputOf, type ScoredModel } from '../scored-model';
import { detectionBatch, detectionGeometry } from './detection-run';
import type { SplitEvaluationOptions } from './evaluation';

/** Post-processing of decoded peaks, as the settings say: NMS or soft-NMS, then max detections. */
export function postprocessFor(settings: DetectionSettings, scoreThreshold = settings.scoreThreshold): PostprocessArgs {
  return {
    scoreThreshold,
    iouThreshold: settings.iouThreshold,
    method: settings.method,
    sigma: settings.sigma,
    maxDetections: settings.maxDetections,
    classAgnostic: settings.classAgnostic,
  };
}

/** Detections of a batch's model output, in input pixels; scores down to `scoreThreshold`. */
export async function detectionsOf(
  output: tf.Tensor4D,
  data: Pick<PreparedDataset, 'classes' | 'spec'>,
  stride: number,
  settings: DetectionSettings,
  scoreThreshold: number,
): Promise<Detection[][]> {
  const candidates = await decodeCenterNet(output, {
    numClasses: data.classes.length,
    stride,
    topK: settings.topK,
    imageWidth: data.spec.columns,
    imageHeight: data.spec.rows,
  });
  return candidates.map((c) => postprocessDetections(c, postprocessFor(settings, scoreThreshold)));
}

/** A detection on its frame: box mapped back through the sample's placement. */
export function onFrame(
  detection: Detection,
  sample: Pick<PreparedSample, 'placement' | 'frameRows' | 'frameColumns'>,
): { box: [number, number, number, number]; score: number; classId: number } {
  const box = boxToFrame(detection.box, sample.placement, sample.frameRows, sample.frameColumns) as [
    number,
    number,
    number,
    number,
  ];
  return { box, score: detection.score, classId: detection.classId };
}

export async function evaluateDetectionSplit(
  model: ScoredModel,
  data: PreparedDataset,
  split: SplitName,
  settings: DetectionSettings,
  options: SplitEvaluationOptions,
): Promise<EvaluationOutcome> {
  const samples = data.splits[split];
  const geometry = detectionGeometry(data, model);
  const floor = Math.min(settings.scoreThreshold, DETECTION_AP_SCORE_FLOOR);
  const images: Parameters<typeof evaluateDetections>[0][number][] = [];
  const predictions: EvaluationOutcome['predictions'] = [];
  let lossSum = 0;
  const ranges = batchRanges(samples.length, options.batchSize);
  for (const [index, [start, end]] of ranges.entries()) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const batch = detectionBatch(samples, indices, data, geometry);
    let detections: Detection[][];
    try {
      const output = (await outputOf(model, batch.x)) as tf.Tensor4D;
      try {
        if (options.loss) {
          const loss = tf.tidy(() => options.loss!(batch.y, output));
          lossSum += (await loss.data())[0]! * batch.size;
          loss.dispose();
        }
        detections = await detectionsOf(output, data, geometry.stride, settings, floor);
      } finally {
        output.dispose();
      }
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
    indices.forEach((sampleIndex, b) => {
      const sample = samples[sampleIndex]!;
      const found = detections[b]!.map((d) => onFrame(d, sample));
      const groundTruth = (sample.boxes ?? []).map((o) => ({
        box: boxToFrame(o.box, sample.placement, sample.frameRows, sample.frameColumns) as Box,
        classId: o.classId,
      }));
      images.push({ groundTruth, detections: found });
      if (options.keepPredictions)
        predictions.push({
          id: sample.id,
          prediction: { detections: found.filter((d) => d.score >= settings.scoreThreshold) },
        });
    });
    options.onBatch?.(index + 1, ranges.length);
    await yieldToMessages();
  }
  const metrics = evaluateDetections(images, {
    classIds: data.classes.map((_, k) => k),
    maxDetections: settings.maxDetections,
    scoreThreshold: settings.scoreThreshold,
  });
  const report: DetectionReport = {
    task: 'detection',
    split,
    count: samples.length,
    mAP: metrics.mAP,
    mAP50: metrics.mAP50,
    mAP75: metrics.mAP75,
    mAPSmall: metrics.mAPSmall,
    mAPMedium: metrics.mAPMedium,
    mAPLarge: metrics.mAPLarge,
    recall: metrics.ar100,
    perClass: metrics.perClass.map((c) => ({
      className: data.classes[c.classId]!,
      ap: c.ap,
      ap50: c.ap50,
      ap75: c.ap75,
      groundTruth: c.groundTruthCount,
      precisionCurve50: c.precisionCurve50,
    })),
    atThreshold: metrics.atThreshold,
    settings,
  };
  return { report, loss: options.loss && samples.length ? lossSum / samples.length : null, predictions };
}
