/**
 * PNG, JPEG, TIFF, WebP and GIF through sharp (libvips), keeping 16-bit depth: greyscale stays one
 * channel, 16-bit stays 16-bit, alpha is dropped. Multi-page TIFF/GIF pages are frames. The
 * decoded size is checked from the header before sharp decodes anything. The common PNG is read
 * without sharp, to the same result (png.ts).
 */
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { ImageFormat, ImageInfo } from '../../contract/channels/imaging';
import { DecodeError } from './errors';
import { MAX_FRAME_PIXELS, checkDecodedBytes, checkFramePixels } from './limits';
import type { DecodedFrame } from './types';
import { valueRange } from './dicom/pixels';
import { decodeSimplePng, simplePng, type SimplePng } from './png';
import { loadSharp } from './sharp-module';

/** Bytes per sample of each libvips band format Loupe accepts, and the array it decodes into. */
const DEPTHS = {
  uchar: { bits: 8, signed: false },
  char: { bits: 8, signed: true },
  ushort: { bits: 16, signed: false },
  short: { bits: 16, signed: true },
  float: { bits: 32, signed: true },
} as const;
type Depth = keyof typeof DEPTHS;

export interface OpenedRaster {
  info: ImageInfo;
  depth: Depth;
  /** A PNG that png.ts reads without sharp. */
  png?: SimplePng;
}

/**
 * What sharp's metadata() says of a PNG that png.ts reads, worked out from its header as libvips
 * and sharp do: pHYs in pixels per metre is libvips' resolution in pixels per millimetre (72 dpi
 * without one), which sharp gives as whole dots per inch where it is above one a millimetre.
 */
function pngMetadata(png: SimplePng): Metadata {
  const wide = png.bitDepth === 16;
  const colour = png.channels - (png.hasAlpha ? 1 : 0) === 3;
  const perMillimetre = png.pixelsPerMetre === null ? 72 / 25.4 : png.pixelsPerMetre / 1000;
  return {
    width: png.width,
    height: png.height,
    depth: wide ? 'ushort' : 'uchar',
    channels: png.channels as Metadata['channels'],
    hasAlpha: png.hasAlpha,
    space: colour ? (wide ? 'rgb16' : 'srgb') : wide ? 'grey16' : 'b-w',
    ...(perMillimetre > 1 ? { density: Math.round(perMillimetre * 25.4) } : {}),
  } as Metadata;
}

/** Format by magic number; null when the bytes are no raster format Loupe reads. */
export function sniffRaster(bytes: Uint8Array): ImageFormat | null {
  const b = (i: number): number => bytes[i] ?? -1;
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (
    (b(0) === 0x49 && b(1) === 0x49 && b(2) === 0x2a && b(3) === 0) ||
    (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && b(3) === 0x2a)
  )
    return 'tiff';
  if (b(0) === 0x42 && b(1) === 0x4d) return 'bmp';
  if (
    b(0) === 0x52 &&
    b(1) === 0x49 &&
    b(2) === 0x46 &&
    b(3) === 0x46 &&
    b(8) === 0x57 &&
    b(9) === 0x45 &&
    b(10) === 0x42 &&
    b(11) === 0x50
  )
    return 'webp';
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x38) return 'gif';
  return null;
}

async function pipeline(bytes: Uint8Array, page?: number): Promise<Sharp> {
  const sharp = await loadSharp();
  // limitInputPixels: libvips refuses larger images itself, before allocating their pixels (a
  // second guard behind openRaster's own check of the header).
  return sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error', ...(page !== undefined ? { page } : {}) });
}

/** `simplePngs` false: sharp reads every PNG (the reference png.test.ts holds png.ts to). */
export async function openRaster(bytes: Uint8Array, format: ImageFormat, simplePngs = true): Promise<OpenedRaster> {
  if (format === 'bmp')
    throw new DecodeError(
      'unsupported',
      'BMP files are not readable by the image library Loupe uses; convert them to PNG.',
    );
  const png = format === 'png' && simplePngs ? simplePng(bytes) : null;
  let metadata: Metadata;
  try {
    // metadata() reads the header only; the pixel limit applies when pixels are decoded.
    metadata = png
      ? pngMetadata(png)
      : await (await loadSharp())(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw new DecodeError('malformed', `This ${format.toUpperCase()} file is damaged: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { width = 0, height = 0 } = metadata;
  checkFramePixels(width, height);
  const depth = (metadata.depth ?? 'uchar') as string;
  if (!Object.hasOwn(DEPTHS, depth))
    throw new DecodeError(
      'unsupported',
      `${depth} samples are not supported; Loupe reads 8-bit, 16-bit and float images.`,
    );
  const { bits, signed } = DEPTHS[depth as Depth];
  const channels = metadata.channels ?? 3;
  const samplesPerPixel = channels - (metadata.hasAlpha ? 1 : 0) >= 3 ? 3 : 1;
  const frames = format === 'tiff' || format === 'gif' ? Math.max(1, metadata.pages ?? 1) : 1;
  const bytesTotal = width * height * samplesPerPixel * (bits / 8) * frames;
  checkDecodedBytes(bytesTotal, `${width}×${height}, ${frames} page${frames === 1 ? '' : 's'}`);
  return {
    depth: depth as Depth,
    ...(png ? { png } : {}),
    info: {
      format,
      rows: height,
      columns: width,
      frames,
      samplesPerPixel,
      bitsAllocated: bits,
      bitsStored: bits,
      pixelRepresentation: signed && bits !== 32 ? 1 : 0,
      photometricInterpretation: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
      sourcePhotometricInterpretation: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
      transferSyntaxUID: null,
      rescaleSlope: 1,
      rescaleIntercept: 0,
      modalityUnit: '',
      windows: [],
      patientId: null,
      studyInstanceUid: null,
      seriesInstanceUid: null,
      sopInstanceUid: null,
      modality: null,
      pixelSpacing:
        metadata.density && metadata.density > 0 ? [25.4 / metadata.density, 25.4 / metadata.density] : null,
      instanceNumber: null,
      attributes: {
        Format: format.toUpperCase(),
        Depth: depth,
        ...(metadata.space ? { ColourSpace: metadata.space } : {}),
      },
    },
  };
}

export async function decodeRasterFrame(bytes: Uint8Array, opened: OpenedRaster, frame: number): Promise<DecodedFrame> {
  const { info, depth } = opened;
  if (!Number.isInteger(frame) || frame < 0 || frame >= info.frames)
    throw new DecodeError('not-an-image', `This image has ${info.frames} page(s); there is no page ${frame + 1}.`);
  const simple = opened.png && decodeSimplePng(opened.png);
  if (simple) return decodedFrame(info, frame, simple);
  const wide = depth === 'ushort' || depth === 'short';
  const colourspace = info.samplesPerPixel === 3 ? (wide ? 'rgb16' : 'srgb') : wide ? 'grey16' : 'b-w';
  let result: { data: Buffer; info: OutputInfo };
  try {
    let image = (await pipeline(bytes, info.frames > 1 ? frame : undefined)).removeAlpha();
    // Float and signed data skip colourspace conversion, which would clip them to 8/16-bit ranges.
    if (depth === 'uchar' || depth === 'ushort') image = image.toColourspace(colourspace);
    result = await image.raw({ depth }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DecodeError('corrupt-pixels', `The image data is damaged: ${(error as Error).message}`, { cause: error });
  }
  const expected = info.rows * info.columns * info.samplesPerPixel;
  const buffer = result.data.buffer.slice(result.data.byteOffset, result.data.byteOffset + result.data.byteLength);
  const data =
    depth === 'uchar'
      ? new Uint8Array(buffer)
      : depth === 'char'
        ? new Int8Array(buffer)
        : depth === 'ushort'
          ? new Uint16Array(buffer)
          : depth === 'short'
            ? new Int16Array(buffer)
            : new Float32Array(buffer);
  if (data.length !== expected || result.info.channels !== info.samplesPerPixel) {
    throw new DecodeError(
      'corrupt-pixels',
      `The image decoded to ${result.info.channels} channel(s) × ${data.length / Math.max(1, result.info.channels)} pixels where ${info.samplesPerPixel} × ${info.rows * info.columns} were expected.`,
    );
  }
  return decodedFrame(info, frame, data);
}

function decodedFrame(info: ImageInfo, frame: number, data: DecodedFrame['data']): DecodedFrame {
  return {
    frame,
    rows: info.rows,
    columns: info.columns,
    samplesPerPixel: info.samplesPerPixel,
    bitsAllocated: info.bitsAllocated,
    bitsStored: info.bitsStored,
    pixelRepresentation: info.pixelRepresentation,
    photometricInterpretation: info.photometricInterpretation,
    transferSyntaxUID: null,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    windowCenter: null,
    windowWidth: null,
    data,
    ...valueRange(data),
  };
}
