/**
 * An exported ONNX model checked by an independent runtime (ONNX Runtime's CPU provider) against
 * Loupe's own Predictor on the same frames: the largest absolute difference of the raw outputs,
 * and whether every prediction a user sees (class, mask, boxes after NMS) is the same.
 */
import * as ort from 'onnxruntime-node';
import type { DecodedFrame, SamplePrediction } from '../../contract/index';
import { preprocessFrame, toModalityImage } from '../data/preprocessing';
import type { Predictor } from '../train/predictor';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAMES } from './onnx-export';
import { loupeRawOutputs, predictionsOf, samePrediction } from './prediction-compare';

export { FP32_MAX_ABS_DIFF, samePrediction } from './prediction-compare';

export interface OnnxParity {
  images: number;
  maxAbsDiff: number;
  /** Frames whose prediction (class, mask, boxes after NMS, or embedding within tolerance) is the same. */
  samePredictions: number;
  /** What ONNX Runtime's outputs mean for each frame, as the Predictor would report them. */
  onnxPredictions: SamplePrediction[];
  loupePredictions: SamplePrediction[];
}

/** HWC → CHW of one image. */
export function toChannelsFirst(hwc: Float32Array, rows: number, columns: number, channels: number): Float32Array {
  const out = new Float32Array(hwc.length);
  const pixels = rows * columns;
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[c * pixels + p] = hwc[p * channels + c]!;
  return out;
}

/** [images, H, W, C] → [images, C, H, W] (one channel: the same values, returned as they are). */
export function batchToChannelsFirst(
  nhwc: Float32Array,
  images: number,
  rows: number,
  columns: number,
  channels: number,
): Float32Array {
  if (channels === 1) return nhwc;
  const per = rows * columns * channels;
  const out = new Float32Array(nhwc.length);
  for (let i = 0; i < images; i++)
    out.set(toChannelsFirst(nhwc.subarray(i * per, (i + 1) * per), rows, columns, channels), i * per);
  return out;
}

export function toChannelsLast(chw: Float32Array, batch: number, channels: number, pixels: number): Float32Array {
  const out = new Float32Array(chw.length);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < pixels; p++) out[(b * pixels + p) * channels + c] = chw[(b * channels + c) * pixels + p]!;
  return out;
}

export async function openOnnxSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  // One thread: exports are checked beside other work, and results do not depend on threads.
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

/** The exported graph's input for frames: modality values when preprocessing is baked in, else the model input; NCHW. */
export function onnxInput(card: Predictor['card'], frames: readonly DecodedFrame[], baked: boolean): ort.Tensor {
  const { rows, columns, channels } = card.input;
  const input = new Float32Array(frames.length * rows * columns * channels);
  frames.forEach((frame, i) => {
    const hwc = baked
      ? toModalityImage(frame, card.preprocessing).data
      : preprocessFrame(frame, card.preprocessing).input;
    input.set(toChannelsFirst(hwc, rows, columns, channels), i * hwc.length);
  });
  return new ort.Tensor('float32', input, [frames.length, channels, rows, columns]);
}

/** ONNX outputs of frames, channels last (as the layers model gives them). */
async function runOnnx(
  session: ort.InferenceSession,
  predictor: Predictor,
  frames: readonly DecodedFrame[],
  baked: boolean,
): Promise<{ data: Float32Array; dims: number[] }> {
  const result = await session.run({ [EXPORT_INPUT_NAME]: onnxInput(predictor.card, frames, baked) });
  const output = result[EXPORT_OUTPUT_NAMES[predictor.card.task]]!;
  const dims = output.dims.map(Number);
  const data = output.data as Float32Array;
  if (dims.length !== 4) return { data, dims };
  const [n, c, h, w] = dims as [number, number, number, number];
  return { data: toChannelsLast(data, n, c, h * w), dims: [n, h, w, c] };
}

/** Runs both runtimes on `frames` (in chunks, to bound memory) and compares them. */
export async function checkOnnxParity(
  predictor: Predictor,
  session: ort.InferenceSession,
  frames: readonly DecodedFrame[],
  baked: boolean,
  chunkSize = 8,
): Promise<OnnxParity> {
  const { rows, columns, channels } = predictor.card.input;
  let maxAbsDiff = 0;
  let samePredictions = 0;
  const onnxPredictions: SamplePrediction[] = [];
  const loupePredictions: SamplePrediction[] = [];
  for (let start = 0; start < frames.length; start += chunkSize) {
    const chunk = frames.slice(start, start + chunkSize);
    const onnx = await runOnnx(session, predictor, chunk, baked);
    const input = new Float32Array(chunk.length * rows * columns * channels);
    chunk.forEach((f, i) =>
      input.set(preprocessFrame(f, predictor.card.preprocessing).input, i * rows * columns * channels),
    );
    const reference = await loupeRawOutputs(predictor.model, input, [chunk.length, rows, columns, channels]);
    reference.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - onnx.data[i]!))));
    const loupe = await predictor.predict(chunk);
    const ours = await predictionsOf(onnx, predictor, chunk);
    ours.forEach((p, i) => {
      if (samePrediction(p, loupe[i]!)) samePredictions++;
    });
    onnxPredictions.push(...ours);
    loupePredictions.push(...loupe);
  }
  return { images: frames.length, maxAbsDiff, samePredictions, onnxPredictions, loupePredictions };
}
