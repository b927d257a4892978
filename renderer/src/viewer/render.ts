/**
 * Stored values → screen pixels: rescale to modality values (HU for CT), then the linear VOI
 * window of PS3.3 C.11.2.1.2, inverted for MONOCHROME1. Integer data goes through a lookup table
 * over the frame's value range (at most 65,536 entries), so a window change costs one pass over
 * the table and one over the pixels: no re-decode, no server round trip.
 */
import type { FramePixels, WindowSetting } from '../../../contract/index';

/** The window a frame opens with: the file's first, else one spanning its modality values. */
export function defaultWindow(frame: FramePixels): WindowSetting {
  const first = frame.windows[0];
  if (first) return first.lut ? { ...first } : { center: first.center, width: first.width };
  if (frame.samplesPerPixel === 3) {
    const top = frame.maxValue > 65535 ? 2 ** 32 - 1 : frame.maxValue > 255 ? 65535 : 255;
    return { center: (top + 1) / 2, width: top + 1 };
  }
  const low = frame.minValue * frame.rescaleSlope + frame.rescaleIntercept;
  const high = frame.maxValue * frame.rescaleSlope + frame.rescaleIntercept;
  return { center: (low + high) / 2, width: Math.max(1, Math.abs(high - low)) };
}

/**
 * Display level 0..255 of a modality value through a window (PS3.3 C.11.2.1.2.1, linear), or
 * through the window's VOI LUT: the entry, scaled to 8 bits by its top bits as DCMTK's dcm2pnm does.
 */
export function windowLevel(value: number, window: WindowSetting): number {
  if (window.lut) {
    const { table, firstMapped, bits } = window.lut;
    const at = Math.min(Math.max(Math.round(value) - firstMapped, 0), table.length - 1);
    return Math.min(255, Math.floor((table[at]! * 256) / 2 ** bits));
  }
  const bottom = window.center - 0.5 - (window.width - 1) / 2;
  const top = window.center - 0.5 + (window.width - 1) / 2;
  if (value <= bottom) return 0;
  if (value > top) return 255;
  return Math.round(((value - (window.center - 0.5)) / Math.max(1, window.width - 1) + 0.5) * 255);
}

/** Writes RGBA for the whole frame into `out` (length rows × columns × 4). */
export function renderFrame(frame: FramePixels, window: WindowSetting, out: Uint8ClampedArray): void {
  const { data, samplesPerPixel } = frame;
  const pixels = frame.rows * frame.columns;
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const integer = !(data instanceof Float32Array);
  if (integer) {
    const min = Math.floor(frame.minValue);
    const lut = new Uint8Array(Math.max(1, Math.floor(frame.maxValue) - min + 1));
    // Colour channels are windowed on their stored values; greyscale on modality values.
    const slope = samplesPerPixel === 3 ? 1 : frame.rescaleSlope;
    const intercept = samplesPerPixel === 3 ? 0 : frame.rescaleIntercept;
    for (let i = 0; i < lut.length; i++) {
      const level = windowLevel((i + min) * slope + intercept, window);
      lut[i] = invert ? 255 - level : level;
    }
    if (samplesPerPixel === 3) {
      for (let p = 0; p < pixels; p++) {
        out[4 * p] = lut[data[3 * p]! - min]!;
        out[4 * p + 1] = lut[data[3 * p + 1]! - min]!;
        out[4 * p + 2] = lut[data[3 * p + 2]! - min]!;
        out[4 * p + 3] = 255;
      }
      return;
    }
    for (let p = 0; p < pixels; p++) {
      const level = lut[data[p]! - min]!;
      out[4 * p] = level;
      out[4 * p + 1] = level;
      out[4 * p + 2] = level;
      out[4 * p + 3] = 255;
    }
    return;
  }
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[samplesPerPixel === 3 ? 3 * p + c : p]! * frame.rescaleSlope + frame.rescaleIntercept;
      const level = windowLevel(v, window);
      out[4 * p + c] = invert ? 255 - level : level;
    }
    out[4 * p + 3] = 255;
  }
}

/** What the readout shows for the pixel at (x, y): modality value(s) and the stored value(s). */
export function pixelValue(frame: FramePixels, x: number, y: number): { stored: number[]; modality: number[] } | null {
  if (x < 0 || y < 0 || x >= frame.columns || y >= frame.rows) return null;
  const p = y * frame.columns + x;
  if (frame.samplesPerPixel === 3) {
    const stored = [frame.data[3 * p]!, frame.data[3 * p + 1]!, frame.data[3 * p + 2]!];
    return { stored, modality: stored };
  }
  const stored = frame.data[p]!;
  return { stored: [stored], modality: [stored * frame.rescaleSlope + frame.rescaleIntercept] };
}
