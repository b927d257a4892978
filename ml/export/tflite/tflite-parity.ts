/**
 * A TFLite export run by Arm NN (armnn-runner.ts) against Loupe's own Predictor on the same
 * frames: the largest absolute difference of the raw outputs, and how many predictions a user
 * sees (class, mask, boxes after NMS, embedding) are the same.
 */
import type { DecodedFrame, SamplePrediction } from '../../../contract/index';
import { preprocessFrame } from '../../data/preprocessing';
import type { Predictor } from '../../train/predictor';
import { loupeRawOutputs, predictionsOf, samePrediction } from '../prediction-compare';
import { runArmnn } from './armnn-runner';

export interface TfliteParity {
  images: number;
  maxAbsDiff: number;
  samePredictions: number;
  tflitePredictions: SamplePrediction[];
  loupePredictions: SamplePrediction[];
  armnnVersion: string;
}

/** The model input of frames, preprocessed as the card says, NHWC one image after another. */
export function tfliteInput(predictor: Predictor, frames: readonly DecodedFrame[]): Float32Array {
  const { rows, columns, channels } = predictor.card.input;
  const size = rows * columns * channels;
  const input = new Float32Array(frames.length * size);
  frames.forEach((f, i) => input.set(preprocessFrame(f, predictor.card.preprocessing).input, i * size));
  return input;
}

export async function checkTfliteParity(
  predictor: Predictor,
  model: Uint8Array,
  frames: readonly DecodedFrame[],
  signal?: AbortSignal,
): Promise<TfliteParity> {
  const { rows, columns, channels } = predictor.card.input;
  const input = tfliteInput(predictor, frames);
  const armnn = await runArmnn(model, input, frames.length, signal);
  const reference = await loupeRawOutputs(predictor.model, input, [frames.length, rows, columns, channels]);
  let maxAbsDiff = 0;
  reference.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - armnn.outputs[i]!))));
  const dims = [frames.length, ...(predictor.model.outputs[0]!.shape.slice(1) as number[])];
  const loupePredictions = await predictor.predict(frames);
  const tflitePredictions = await predictionsOf({ data: armnn.outputs, dims }, predictor, frames);
  const samePredictions = tflitePredictions.filter((p, i) => samePrediction(p, loupePredictions[i]!)).length;
  return {
    images: frames.length,
    maxAbsDiff,
    samePredictions,
    tflitePredictions,
    loupePredictions,
    armnnVersion: armnn.version,
  };
}
