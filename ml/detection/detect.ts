/**
 * Inference for a CenterNet detector model: images in, detections per image out (predict,
 * peak decoding, post-processing). What eval, batch inference and the labeling view's draft
 * boxes call.
 */
import * as tf from '@tensorflow/tfjs';
import { outputOfBatch } from '../model-io/inference-model';
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

/** Detections for each image of `images` [B, H, W, C], boxes in pixels of those images. */
export async function detect(model: tf.LayersModel, images: tf.Tensor4D, args: DetectArgs): Promise<Detection[][]> {
  const [, height, width] = images.shape;
  const output = outputOfBatch(model, images) as tf.Tensor4D;
  try {
    return await detectionsOfTensor(output, height, width, args);
  } finally {
    output.dispose();
  }
}

/**
 * The same from a model output already read back (channels last), whichever runtime computed it:
 * `height` × `width` are the model input's.
 */
export async function detectionsOfOutput(
  output: { data: Float32Array; dims: number[] },
  height: number,
  width: number,
  args: DetectArgs,
): Promise<Detection[][]> {
  const tensor = tf.tensor4d(output.data, output.dims as [number, number, number, number]);
  try {
    return await detectionsOfTensor(tensor, height, width, args);
  } finally {
    tensor.dispose();
  }
}

async function detectionsOfTensor(
  output: tf.Tensor4D,
  height: number,
  width: number,
  args: DetectArgs,
): Promise<Detection[][]> {
  const candidates = await decodeCenterNet(output, {
    numClasses: args.numClasses,
    stride: height / output.shape[1],
    imageWidth: width,
    imageHeight: height,
    ...(args.topK !== undefined ? { topK: args.topK } : {}),
  });
  return candidates.map((c) => postprocessDetections(c, args.postprocess));
}
