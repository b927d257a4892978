/** Decoding one frame of a DICOM file: parse, check, find the frame's bytes, decode, finish. */
import type { CodecOutput } from '../codecs/types';
import { decodeRle32 } from '../codecs/rle';
import { DecodeError, asDecodeError, rethrowAs } from '../errors';
import type { DecodedFrame } from '../types';
import { parseDicomFile, type ParsedDicom } from './dataset';
import { encapsulatedFrame, nativeFrame } from './frames';
import type { PixelArray } from '../../../contract/channels/imaging';
import { readOtherCells, wideStoredValues } from './cells';
import { readDicomInfo, type DicomImageInfo } from './info';
import { applyModalityLut } from './modality-lut';
import { applyPalette } from './palette';
import { expandYbr422, finishFrame, nativeSamples, storesWholeSamples, valueRange, type ValueRange } from './pixels';
import { TRANSFER_SYNTAXES } from './transfer-syntax';

const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

export interface OpenedDicom extends ParsedDicom {
  info: DicomImageInfo;
}

/**
 * What the decoded frames are, as the rest of Loupe sees them: a PALETTE COLOR image stores 1
 * index per pixel but decodes to RGB with the palette's bits per entry.
 */
export function decodedInfo(info: DicomImageInfo): DicomImageInfo {
  if (info.modalityLut) {
    return {
      ...info,
      bitsAllocated: 16,
      bitsStored: info.modalityLut.bits,
      highBit: info.modalityLut.bits - 1,
      pixelRepresentation: 0,
    };
  }
  if (!info.palette) return info;
  const bits = info.palette.bits;
  return {
    ...info,
    samplesPerPixel: 3,
    bitsAllocated: bits,
    bitsStored: bits,
    highBit: bits - 1,
    pixelRepresentation: 0,
    photometricInterpretation: 'RGB',
  };
}

/** Parses and checks a DICOM file without decoding pixels. */
export function openDicom(bytes: Uint8Array): OpenedDicom {
  const parsed = parseDicomFile(bytes);
  const info = readDicomInfo(parsed.dataSet, parsed.transferSyntaxUID);
  return { ...parsed, info };
}

/** `overwrite`: the stored values of an uncompressed frame may be written over the file's own bytes (OpenedImage). */
export async function decodeDicomFrame(opened: OpenedDicom, frame: number, overwrite = false): Promise<DecodedFrame> {
  const { dataSet, info, transferSyntaxUID } = opened;
  if (!Number.isInteger(frame) || frame < 0 || frame >= info.frames) {
    throw new DecodeError(
      'not-an-image',
      `This image has ${info.frames} frame${info.frames === 1 ? '' : 's'} (indices 0 to ${info.frames - 1}); there is no frame index ${frame}.`,
    );
  }
  const syntax = TRANSFER_SYNTAXES[transferSyntaxUID];
  if (!syntax) throw new DecodeError('unsupported', `The transfer syntax ${transferSyntaxUID} is not supported.`);
  const element = dataSet.elements[info.pixelTag]!;
  if (info.bitsAllocated === 32 && transferSyntaxUID === RLE_LOSSLESS && element.encapsulatedPixelData) {
    const encoded = encapsulatedFrame(dataSet, element, info.frames, frame);
    const cells = rethrowAs('corrupt-pixels', 'The compressed pixel data is damaged', () =>
      decodeRle32(encoded, info.rows, info.columns, info.samplesPerPixel),
    );
    return frameOf(info, transferSyntaxUID, frame, wideStoredValues(cells, info, 'planar'));
  }
  if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16) {
    if (syntax.pixels.kind !== 'native' || element.encapsulatedPixelData) {
      throw new DecodeError(
        'unsupported',
        `${info.bitsAllocated}-bit pixel cells are read uncompressed or RLE-compressed only; this file is ${syntax.name}.`,
      );
    }
    return frameOf(
      info,
      transferSyntaxUID,
      frame,
      readOtherCells(dataSet, element, info, frame, syntax.pixels.bigEndian),
    );
  }
  const geometry = { ...info, bitsAllocated: info.bitsAllocated };
  let output: CodecOutput;
  if (syntax.pixels.kind === 'native') {
    if (element.encapsulatedPixelData)
      throw new DecodeError('malformed', 'The pixel data is compressed, but the transfer syntax says it is not.');
    const bytes = nativeFrame(dataSet, element, info, frame);
    let samples = nativeSamples(
      bytes,
      geometry,
      syntax.pixels.bigEndian,
      syntax.pixels.bigEndian && element.vr === 'OW',
      !storesWholeSamples(info),
    );
    if (info.sourcePhotometricInterpretation === 'YBR_FULL_422' && samples instanceof Uint8Array)
      samples = expandYbr422(samples, info.rows, info.columns);
    output = {
      samples,
      layout: info.samplesPerPixel > 1 && info.planarConfiguration === 1 ? 'planar' : 'interleaved',
      rgb: false,
    };
  } else {
    if (!element.encapsulatedPixelData)
      throw new DecodeError(
        'malformed',
        'The transfer syntax says the pixel data is compressed, but it is stored uncompressed.',
      );
    const encoded = encapsulatedFrame(dataSet, element, info.frames, frame);
    try {
      output = await syntax.pixels.codec(encoded, geometry);
    } catch (error) {
      throw asDecodeError(error, 'corrupt-pixels', 'The compressed pixel data is damaged');
    }
  }
  const { values: stored, range } = finishFrame(output, info, overwrite && syntax.pixels.kind === 'native');
  const expected = info.rows * info.columns * info.samplesPerPixel;
  if (stored.length !== expected)
    throw new DecodeError(
      'corrupt-pixels',
      `Frame ${frame + 1} decoded to ${stored.length} samples where ${expected} were expected.`,
    );
  const looked = info.palette
    ? applyPalette(stored, info.palette)
    : info.modalityLut
      ? applyModalityLut(stored, info.modalityLut)
      : stored;
  return frameOf(info, transferSyntaxUID, frame, looked, looked === stored ? range : null);
}

/** `range`: the values' range where it is already known, else it is found here. */
function frameOf(
  info: DicomImageInfo,
  transferSyntaxUID: string,
  frame: number,
  data: PixelArray,
  range: ValueRange | null = null,
): DecodedFrame {
  const shown = decodedInfo(info);
  // A frame's window centre/width are the header's first pair; a VOI LUT has none of its own.
  const first = info.windows.find((w) => !w.lut);
  return {
    frame,
    rows: info.rows,
    columns: info.columns,
    samplesPerPixel: shown.samplesPerPixel,
    bitsAllocated: shown.bitsAllocated,
    bitsStored: shown.bitsStored,
    pixelRepresentation: shown.pixelRepresentation,
    photometricInterpretation: shown.photometricInterpretation,
    transferSyntaxUID,
    rescaleSlope: info.rescaleSlope,
    rescaleIntercept: info.rescaleIntercept,
    windowCenter: first?.center ?? null,
    windowWidth: first?.width ?? null,
    data,
    ...(range ?? valueRange(data)),
  };
}
