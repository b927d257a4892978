/** What every codec receives and returns; pixels.ts turns the output into the final typed array. */

export interface FrameGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  /** As the file states it (YBR_FULL_422, RGB, ...): some codecs need it to choose the colour transform. */
  sourcePhotometricInterpretation: string;
}

export interface CodecOutput {
  /** One element per sample: bytes for 8-bit cells, 16-bit values (as unsigned bit patterns or signed) otherwise. */
  samples: Uint8Array | Uint16Array | Int16Array;
  /** 'planar' when colour comes one plane after another (RLE); interleaved otherwise. */
  layout: 'interleaved' | 'planar';
  /** True when the codec already turned YCbCr into RGB (JPEG baseline, JPEG 2000 with MCT). */
  rgb: boolean;
}

export type FrameCodec = (encoded: Uint8Array, geometry: FrameGeometry) => Promise<CodecOutput>;
