/**
 * The decode API other parts of Loupe build on (the imaging service, the engine's data
 * pipeline): one frame's stored values plus what is needed to interpret them.
 */
import type { ImageInfo, PixelArray } from '../../contract/channels/imaging';

export interface DecodedFrame {
  /** Zero-based frame index. */
  frame: number;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  /** Of `data`: MONOCHROME1/MONOCHROME2, or RGB (colour always arrives as interleaved RGB). */
  photometricInterpretation: string;
  transferSyntaxUID: string | null;
  /** Modality value = stored × slope + intercept (HU for CT). */
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The file's first window, or null when it has none. */
  windowCenter: number | null;
  windowWidth: number | null;
  /**
   * Stored values, row-major, colour interleaved: Uint8Array/Int8Array for 8-bit cells,
   * Uint16Array/Int16Array for 16-bit cells (already masked to BitsStored and sign-extended),
   * Float32Array for floating-point TIFF.
   */
  data: PixelArray;
  /** Smallest and largest value in `data`. */
  minValue: number;
  maxValue: number;
}

export interface DecodedImage {
  info: ImageInfo;
  frame: DecodedFrame;
}

export interface DecodeOptions {
  /** Zero-based frame to decode (default 0). */
  frame?: number;
}
