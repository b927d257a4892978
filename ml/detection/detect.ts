/**
 * Detections of a CenterNet detector from its output, whichever runtime computed it: peak
 * decoding and post-processing per image. What the Predictor (batch inference, review, the
 * labeling view's draft boxes) calls after the model step.
 */
import * as tf from '@tensorflow/tfjs';
import { decodeCenterNet } from './centernet-decode';
import { postprocessDetections, type Detection, type PostprocessArgs } from './postprocess';

export interface DetectArgs {
  numClasses: number;
  /** Peaks kept per image before post-processing. Default 100. */
  topK?: number;
  /** Score threshold, NMS and max detections (postprocess.ts defaults). */
  postprocess?: PostprocessArgs;
}

/** Input pixels per output cell of a detector model, from its input and output shapes. */
/** Any model that reports NHWC input and output shapes (a layers model, or an exported model's runner). */
interface ShapedModel {
  inputs: readonly { shape: readonly (number | null)[] }[];
  outputs: readonly { shape: readonly (number | null)[] }[];
}

export function detectorStride(model: ShapedModel): number {
  const inputHeight = model.inputs[0]!.shape[1];
  const outputHeight = model.outputs[0]!.shape[1];
  if (!inputHeight || !outputHeight)
    throw new RangeError('The detector has no fixed input size; give the stride explicitly.');
  return inputHeight / outputHeight;
}

/**
 * Detections for each image of a batch, boxes in pixels of the model input (`height` × `width`),
 * from the model's output read back (channels last).
 */
export async function detectionsOfOutput(
  output: { data: Float32Array; dims: number[] },
  height: number,
  width: number,
  args: DetectArgs,
): Promise<Detection[][]> {
  const tensor = tf.tensor4d(output.data, output.dims as [number, number, number, number]);
  try {
    const candidates = await decodeCenterNet(tensor, {
      numClasses: args.numClasses,
      stride: height / tensor.shape[1],
      imageWidth: width,
      imageHeight: height,
      ...(args.topK !== undefined ? { topK: args.topK } : {}),
    });
    return candidates.map((c) => postprocessDetections(c, args.postprocess));
  } finally {
    tensor.dispose();
  }
}
