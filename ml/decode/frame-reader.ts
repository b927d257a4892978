/**
 * The engine's frame reader: training and evaluation datasets name images by path (from the
 * workspace), and the worker decodes them here with the same decoders as import and the viewer.
 */
import path from 'node:path';
import { LoupeError, type DecodedFrame } from '../../contract/index';
import { DecodeError } from './errors';
import { decodeFile } from './index';

export async function readTrainingFrame(file: string, frameIndex: number): Promise<DecodedFrame> {
  let frame;
  try {
    ({ frame } = await decodeFile(file, { frame: frameIndex }));
  } catch (error) {
    if (error instanceof DecodeError)
      throw new LoupeError('BAD_IMAGE', `${path.basename(file)} could not be read for training: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
  if (frame.samplesPerPixel !== 1 && frame.samplesPerPixel !== 3) {
    throw new LoupeError(
      'BAD_IMAGE',
      `${path.basename(file)} has ${frame.samplesPerPixel} samples per pixel; training reads grey or RGB images.`,
    );
  }
  // The model input keeps signed 8-bit values exactly in 16 bits (the training pipeline has no int8 path).
  const data = frame.data instanceof Int8Array ? Int16Array.from(frame.data) : frame.data;
  return {
    // Decoders return buffers of their own (never shared memory).
    data: data as DecodedFrame['data'],
    rows: frame.rows,
    columns: frame.columns,
    samplesPerPixel: frame.samplesPerPixel,
    rescaleSlope: frame.rescaleSlope,
    rescaleIntercept: frame.rescaleIntercept,
  };
}
