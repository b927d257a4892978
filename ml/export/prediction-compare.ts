/**
 * What another runtime's raw model output means as Loupe's predictions, and whether two
 * predictions are the same for a user (class, mask, boxes after NMS, embedding within tolerance).
 * Shared by every export's parity check; imports no runtime of its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedFrame, DetectionSettingsOverride, ModelCard, SamplePrediction } from '../../contract/index';
import { preprocessFrame } from '../data/preprocessing';
import { decodeCenterNet } from '../detection/centernet-decode';
import { postprocessDetections } from '../detection/postprocess';
import { classMap, maskOnFrame } from '../train/outputs';
import { onFrame, postprocessFor } from '../train/tasks/detection-evaluation';
import { resolvedDetectionSettings } from '../train/tasks/settings';
import { argmax } from '../metrics/classification';

/** The bound on |export − Loupe| for fp32 exports. */
export const FP32_MAX_ABS_DIFF = 1e-4;

/**
 * Loupe's raw model output (channels last) for prepared inputs on the engine's backend, the
 * reference of every parity check. Read asynchronously: WebGPU in Node has no synchronous read.
 */
export async function loupeRawOutputs(
  model: tf.LayersModel,
  input: Float32Array,
  shape: [number, number, number, number],
): Promise<Float32Array> {
  const output = tf.tidy(() => model.predict(tf.tensor4d(input, shape)) as tf.Tensor);
  try {
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}
/** Boxes of the two runtimes are the same box when their corners agree this closely (pixels). */
const BOX_TOLERANCE_PX = 1e-2;

/**
 * What Loupe's Predictor would say about `output` (channels last) for each frame. Classification
 * gives the raw logits as `probabilities` (the parity check compares classes only).
 */
export async function predictionsOf(
  output: { data: Float32Array; dims: number[] },
  predictor: { card: ModelCard },
  frames: readonly DecodedFrame[],
  detection?: DetectionSettingsOverride,
): Promise<SamplePrediction[]> {
  const { card } = predictor;
  const { rows, columns } = card.input;
  const pixels = rows * columns;
  // Only masks and boxes go back onto the frame; classification and embeddings need no placement
  // (preparing a 512² frame again for it would cost as much as the model).
  const placements =
    card.task === 'detection' || card.task === 'segmentation'
      ? frames.map((f) => preprocessFrame(f, card.preprocessing).placement)
      : [];
  if (card.task === 'detection') {
    const settings = resolvedDetectionSettings(card.detection, detection);
    const tensor = tf.tensor4d(output.data, output.dims as [number, number, number, number]);
    try {
      const candidates = await decodeCenterNet(tensor, {
        numClasses: card.classes.length,
        stride: rows / output.dims[1]!,
        imageWidth: columns,
        imageHeight: rows,
        topK: settings.topK,
      });
      return candidates.map((c, i) => ({
        detections: postprocessDetections(c, postprocessFor(settings)).map((d) =>
          onFrame(d, { placement: placements[i]!, frameRows: frames[i]!.rows, frameColumns: frames[i]!.columns }),
        ),
      }));
    } finally {
      tensor.dispose();
    }
  }
  const perImage = output.data.length / frames.length;
  return frames.map((frame, i) => {
    const row = output.data.subarray(i * perImage, (i + 1) * perImage);
    if (card.task === 'verification') return { embedding: Float32Array.from(row) };
    if (card.task === 'segmentation') {
      const mask = maskOnFrame(
        classMap(row, 0, pixels, perImage / pixels),
        columns,
        placements[i]!,
        frame.rows,
        frame.columns,
      );
      return { mask, rows: frame.rows, columns: frame.columns, classPixels: [] };
    }
    return { probabilities: Array.from(row), predicted: argmax(Array.from(row)) };
  });
}

export function samePrediction(a: SamplePrediction, b: SamplePrediction, tolerance = FP32_MAX_ABS_DIFF): boolean {
  if ('predicted' in a && 'predicted' in b) return a.predicted === b.predicted;
  if ('mask' in a && 'mask' in b) return a.mask.length === b.mask.length && a.mask.every((v, i) => v === b.mask[i]);
  if ('embedding' in a && 'embedding' in b)
    return a.embedding.every((v, i) => Math.abs(v - b.embedding[i]!) <= tolerance);
  if ('detections' in a && 'detections' in b) {
    return (
      a.detections.length === b.detections.length &&
      a.detections.every((d, i) => {
        const e = b.detections[i]!;
        return d.classId === e.classId && d.box.every((v, j) => Math.abs(v - e.box[j]!) <= BOX_TOLERANCE_PX);
      })
    );
  }
  return false;
}
