/**
 * Activation ranges of the fp32 TFLite graph for int8 calibration (min–max, as the ONNX int8 path's
 * `minmax`): the same file with every activation tensor listed as an output, run by Arm NN on the
 * calibration images, so the ranges are those of the exact graph that is quantized.
 */
import { armnnRanges } from './armnn-runner';
import type { TfliteModel } from './tflite-export';

export type Ranges = Map<number, [number, number]>;

/** Adds a batch of images (float32 NHWC, one after another, already preprocessed) to `ranges`. */
export async function calibrateTflite(
  fp32: TfliteModel,
  images: Float32Array,
  count: number,
  ranges: Ranges = new Map(),
  signal?: AbortSignal,
): Promise<Ranges> {
  const activations = fp32.graph.operators.map((o) => o.outputs[0]!);
  const file = fp32.graph.encode([fp32.inputTensor], activations, fp32.description);
  const measured = await armnnRanges(file, images, count, signal);
  const merge = (tensor: number, [low, high]: [number, number]) => {
    const known = ranges.get(tensor);
    ranges.set(tensor, known ? [Math.min(known[0], low), Math.max(known[1], high)] : [low, high]);
  };
  activations.forEach((t, i) => merge(t, measured[i]!));
  let low = Infinity;
  let high = -Infinity;
  for (const v of images) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  merge(fp32.inputTensor, [low, high]);
  return ranges;
}
