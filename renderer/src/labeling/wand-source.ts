/**
 * What the magic wand grows over: one value per pixel in the units its tolerance is given in.
 * Greyscale frames are used as stored (no copy of a 16-bit frame) with the tolerance divided by
 * the rescale slope, so a tolerance in HU works on CT; colour frames become their luma (BT.601,
 * the weights DICOM's YBR_FULL uses), computed once per frame.
 */
import type { FramePixels } from '../../../contract/index';

export interface WandSource {
  values: ArrayLike<number>;
  /** Multiply a tolerance in modality units by this to compare stored values. */
  toleranceScale: number;
}

const lumaCache = new WeakMap<FramePixels, Float32Array>();

export function wandSource(frame: FramePixels): WandSource {
  if (frame.samplesPerPixel === 1) {
    const slope = Math.abs(frame.rescaleSlope) || 1;
    return { values: frame.data, toleranceScale: 1 / slope };
  }
  let luma = lumaCache.get(frame);
  if (!luma) {
    const pixels = frame.rows * frame.columns;
    const data = frame.data;
    luma = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++)
      luma[p] = 0.299 * data[3 * p]! + 0.587 * data[3 * p + 1]! + 0.114 * data[3 * p + 2]!;
    lumaCache.set(frame, luma);
  }
  return { values: luma, toleranceScale: 1 };
}
