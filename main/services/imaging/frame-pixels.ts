/** A decoded frame as the viewer takes it (imaging.frame, batch.frame): its pixels with the file's unit and windows. */
import type { FramePixels, ImageInfo } from '../../../contract/index';
import type { DecodedFrame } from '../../../ml/decode/types';

/** `id`: the workspace image, or 0 for a file outside the workspace. */
export function framePixels(
  id: number,
  frame: number,
  decoded: DecodedFrame,
  info: Pick<ImageInfo, 'modalityUnit' | 'windows'>,
): FramePixels {
  return {
    id,
    frame,
    rows: decoded.rows,
    columns: decoded.columns,
    samplesPerPixel: decoded.samplesPerPixel,
    photometricInterpretation: decoded.photometricInterpretation,
    rescaleSlope: decoded.rescaleSlope,
    rescaleIntercept: decoded.rescaleIntercept,
    modalityUnit: info.modalityUnit,
    windows: info.windows,
    minValue: decoded.minValue,
    maxValue: decoded.maxValue,
    data: decoded.data,
  };
}
