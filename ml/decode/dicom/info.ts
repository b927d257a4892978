/**
 * What a DICOM data set says about its image, checked before any pixel is touched: geometry
 * within limits, a pixel format Loupe decodes, and the decoded size under the cap.
 */
import type { ImageInfo, WindowSetting } from '../../../contract/channels/imaging';
import { DecodeError } from '../errors';
import { checkDecodedBytes, checkFramePixels } from '../limits';
import { cleanUid } from './dataset';
import type { DataSet } from './parser-lib';
import { readModalityLut, type ModalityLut } from './modality-lut';
import { readPalette, type Palette } from './palette';
import { readVoiLuts } from './voi-lut';
import { nonImageKind } from './sop-classes';
import { transferSyntaxNamed } from './transfer-syntax';

/** Photometric interpretations Loupe decodes (PS3.3 C.7.6.3.1.2). */
const SUPPORTED_PHOTOMETRIC = new Set([
  'MONOCHROME1',
  'MONOCHROME2',
  'PALETTE COLOR',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_RCT',
  'YBR_ICT',
]);

/** Longest attribute value kept for the metadata panel. */
const MAX_ATTRIBUTE_LENGTH = 512;

/** Attributes shown in the metadata panel, by keyword (PS3.6). Strings only; none of them is ever used in a path. */
const PANEL_ATTRIBUTES: readonly [keyword: string, tag: string][] = [
  ['PatientName', 'x00100010'],
  ['PatientSex', 'x00100040'],
  ['PatientBirthDate', 'x00100030'],
  ['StudyDate', 'x00080020'],
  ['StudyTime', 'x00080030'],
  ['StudyDescription', 'x00081030'],
  ['AccessionNumber', 'x00080050'],
  ['SeriesNumber', 'x00200011'],
  ['SeriesDescription', 'x0008103e'],
  ['ProtocolName', 'x00181030'],
  ['BodyPartExamined', 'x00180015'],
  ['ImageType', 'x00080008'],
  ['SOPClassUID', 'x00080016'],
  ['Manufacturer', 'x00080070'],
  ['ManufacturerModelName', 'x00081090'],
  ['InstitutionName', 'x00080080'],
  ['SliceThickness', 'x00180050'],
  ['SliceLocation', 'x00201041'],
  ['ImagePositionPatient', 'x00200032'],
  ['ImageOrientationPatient', 'x00200037'],
  ['KVP', 'x00180060'],
  ['ConvolutionKernel', 'x00181210'],
  ['RescaleType', 'x00281054'],
  ['WindowCenterWidthExplanation', 'x00281055'],
  ['LossyImageCompression', 'x00282110'],
  ['PlanarConfiguration', 'x00280006'],
  ['HighBit', 'x00280102'],
];

/** The checked pixel layout of a DICOM image, plus the identifying metadata. */
export interface DicomImageInfo extends ImageInfo {
  /** 1-bit (packed), 32-bit integer and float cells are read natively only (cells.ts). */
  bitsAllocated: 1 | 8 | 16 | 32 | 64;
  /** Which element holds the pixels: Pixel Data, Float Pixel Data (32-bit) or Double Float Pixel Data (64-bit). */
  pixelTag: 'x7fe00010' | 'x7fe00008' | 'x7fe00009';
  highBit: number;
  planarConfiguration: 0 | 1;
  /** Bytes of one uncompressed frame. */
  frameBytes: number;
  /** PALETTE COLOR: the tables the stored indices go through; the fields above describe the indices. */
  palette: Palette | null;
  /** The Modality LUT Sequence's table, which then replaces rescale slope and intercept. */
  modalityLut: ModalityLut | null;
}

function text(dataSet: DataSet, tag: string, index?: number): string | null {
  // dicom-parser reads value `index` without checking it exists and throws a TypeError ("reading
  // 'trim'") for a missing one, e.g. Pixel Spacing with a single value.
  if (index !== undefined && index >= (dataSet.numStringValues(tag) ?? 0)) return null;
  const value = dataSet.string(tag, index);
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point.
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean ? clean.slice(0, MAX_ATTRIBUTE_LENGTH) : null;
}

function decimal(dataSet: DataSet, tag: string, index = 0): number | null {
  const raw = text(dataSet, tag, index);
  if (raw === null) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function unsigned16(dataSet: DataSet, tag: string): number | null {
  const element = dataSet.elements[tag];
  if (!element || element.length < 2) return null;
  return dataSet.uint16(tag) ?? null;
}

export function readDicomInfo(dataSet: DataSet, transferSyntaxUID: string): DicomImageInfo {
  const pixelElement = dataSet.elements.x7fe00010;
  const kind = nonImageKind(uid(dataSet, 'x00080016') ?? uid(dataSet, 'x00020002'));
  if (kind) throw new DecodeError('non-image', `Not an image (${kind}).`);
  if (!pixelElement && !dataSet.elements.x7fe00008 && !dataSet.elements.x7fe00009) {
    throw new DecodeError('non-image', 'Not an image (a DICOM object without Pixel Data).');
  }
  const pixelTag = pixelElement ? 'x7fe00010' : dataSet.elements.x7fe00008 ? 'x7fe00008' : 'x7fe00009';
  const float = pixelTag !== 'x7fe00010';
  const rows = unsigned16(dataSet, 'x00280010');
  const columns = unsigned16(dataSet, 'x00280011');
  if (!rows || !columns)
    throw new DecodeError(
      'too-large',
      `This DICOM image has ${rows ?? 'no'} rows and ${columns ?? 'no'} columns; it cannot be shown.`,
    );
  checkFramePixels(columns, rows);

  const framesText = text(dataSet, 'x00280008');
  const frames = framesText === null ? 1 : Number(framesText);
  if (!Number.isInteger(frames) || frames < 1)
    throw new DecodeError(
      'malformed',
      `This DICOM file gives its number of frames as "${framesText}", which is not a positive whole number.`,
    );

  const samplesPerPixel = unsigned16(dataSet, 'x00280002') ?? 1;
  const bitsAllocated =
    unsigned16(dataSet, 'x00280100') ?? (pixelTag === 'x7fe00008' ? 32 : pixelTag === 'x7fe00009' ? 64 : null);
  // Float cells have no Bits Stored or Pixel Representation (PS3.3 C.7.6.24).
  const bitsStored = float ? bitsAllocated : (unsigned16(dataSet, 'x00280101') ?? bitsAllocated);
  const pixelRepresentation = float ? 0 : (unsigned16(dataSet, 'x00280103') ?? 0);
  const sourcePhotometric = (
    text(dataSet, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')
  ).toUpperCase();
  const planar = unsigned16(dataSet, 'x00280006') ?? 0;

  const widths = pixelTag === 'x7fe00008' ? [32] : pixelTag === 'x7fe00009' ? [64] : [1, 8, 16, 32];
  if (bitsAllocated === null || !widths.includes(bitsAllocated)) {
    throw new DecodeError(
      float ? 'malformed' : 'unsupported',
      float
        ? `This image's ${pixelTag === 'x7fe00008' ? 'Float' : 'Double Float'} Pixel Data needs Bits Allocated ${widths[0]}, but the header says ${bitsAllocated ?? 'nothing'} (0028,0100).`
        : `This image uses ${bitsAllocated ?? 'an unknown number of'}-bit pixel cells (Bits Allocated, 0028,0100); Loupe decodes 1-, 8-, 16- and 32-bit images.`,
    );
  }
  if (!bitsStored || bitsStored > bitsAllocated) {
    throw new DecodeError(
      'malformed',
      `This image says it stores ${bitsStored} bits in ${bitsAllocated}-bit cells, which is impossible.`,
    );
  }
  const highBit = unsigned16(dataSet, 'x00280102') ?? bitsStored - 1;
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated)
    throw new DecodeError(
      'malformed',
      `This image's High Bit (${highBit}) does not fit its ${bitsStored} stored bits.`,
    );
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1)
    throw new DecodeError(
      'malformed',
      `Pixel Representation ${pixelRepresentation} is neither unsigned (0) nor signed (1).`,
    );
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3)
    throw new DecodeError(
      'unsupported',
      `Images with ${samplesPerPixel} samples per pixel are not supported; Loupe decodes greyscale and RGB.`,
    );
  if (!SUPPORTED_PHOTOMETRIC.has(sourcePhotometric)) {
    throw new DecodeError('unsupported', `The photometric interpretation ${sourcePhotometric} is not supported yet.`);
  }
  const isPalette = sourcePhotometric === 'PALETTE COLOR';
  const colour = !sourcePhotometric.startsWith('MONOCHROME') && !isPalette;
  if (colour !== (samplesPerPixel === 3)) {
    throw new DecodeError(
      'malformed',
      `${sourcePhotometric} images need ${colour ? 3 : 1} samples per pixel, but this one has ${samplesPerPixel}.`,
    );
  }

  // 32-bit integer cells may hold RGB (pydicom's SC_rgb_rle_32bit.dcm); 1-bit and float cells are greyscale only.
  const wideRgb = bitsAllocated === 32 && !float && sourcePhotometric === 'RGB';
  if ((bitsAllocated === 1 || bitsAllocated > 16) && (samplesPerPixel !== 1 || isPalette) && !wideRgb) {
    throw new DecodeError(
      'unsupported',
      `${bitsAllocated}-bit pixel cells are read for greyscale${bitsAllocated === 32 && !float ? ' and RGB' : ''} images only; this one is ${sourcePhotometric}.`,
    );
  }
  const palette = isPalette ? readPalette(dataSet, pixelRepresentation === 1) : null;
  const modalityLut =
    !colour && !isPalette && (bitsAllocated === 8 || bitsAllocated === 16)
      ? readModalityLut(dataSet, pixelRepresentation === 1)
      : null;
  // 1-bit frames are packed bit after bit; the last byte of a frame may be shared with the next.
  const frameBytes =
    bitsAllocated === 1 ? Math.ceil((rows * columns) / 8) : rows * columns * samplesPerPixel * (bitsAllocated / 8);
  // What the frame takes decoded: 1-bit as bytes, 32/64-bit as 32-bit floats.
  const decodedFrameBytes = palette
    ? rows * columns * 3 * (palette.bits / 8)
    : bitsAllocated === 1
      ? rows * columns
      : bitsAllocated > 16
        ? rows * columns * 4
        : frameBytes;
  checkDecodedBytes(decodedFrameBytes * frames, `${columns}×${rows}, ${frames} frame${frames === 1 ? '' : 's'}`);

  const slope = decimal(dataSet, 'x00281053');
  const intercept = decimal(dataSet, 'x00281052');
  const modality = text(dataSet, 'x00080060');
  const rescaleType = text(dataSet, 'x00281054');
  const spacing = readSpacing(dataSet);
  const instance = decimal(dataSet, 'x00200013');
  const attributes: Record<string, string> = { TransferSyntax: transferSyntaxNamed(transferSyntaxUID) };
  for (const [keyword, tag] of PANEL_ATTRIBUTES) {
    const value = dataSet.elements[tag] ? text(dataSet, tag) : null;
    if (value !== null) attributes[keyword] = value;
  }

  return {
    format: 'dicom',
    rows,
    columns,
    frames,
    samplesPerPixel,
    bitsAllocated: bitsAllocated as DicomImageInfo['bitsAllocated'],
    bitsStored,
    highBit,
    pixelRepresentation: pixelRepresentation as 0 | 1,
    planarConfiguration: planar === 1 ? 1 : 0,
    frameBytes,
    pixelTag,
    palette,
    modalityLut,
    photometricInterpretation: colour ? 'RGB' : sourcePhotometric,
    sourcePhotometricInterpretation: sourcePhotometric,
    transferSyntaxUID,
    rescaleSlope: modalityLut ? 1 : slope !== null && slope !== 0 ? slope : 1,
    rescaleIntercept: modalityLut ? 0 : (intercept ?? 0),
    modalityUnit: modality === 'CT' ? 'HU' : rescaleType && rescaleType !== 'US' ? rescaleType : '',
    windows: [...readWindows(dataSet), ...readVoiLuts(dataSet, pixelRepresentation === 1)],
    patientId: text(dataSet, 'x00100020'),
    studyInstanceUid: uid(dataSet, 'x0020000d'),
    seriesInstanceUid: uid(dataSet, 'x0020000e'),
    sopInstanceUid: uid(dataSet, 'x00080018'),
    modality,
    pixelSpacing: spacing,
    instanceNumber: instance !== null && Number.isSafeInteger(instance) ? instance : null,
    attributes,
  };
}

function uid(dataSet: DataSet, tag: string): string | null {
  const value = text(dataSet, tag);
  return value === null ? null : cleanUid(value);
}

function readSpacing(dataSet: DataSet): [number, number] | null {
  for (const tag of ['x00280030', 'x00181164']) {
    const row = decimal(dataSet, tag, 0);
    const column = decimal(dataSet, tag, 1);
    if (row !== null && column !== null && row > 0 && column > 0) return [row, column];
  }
  return null;
}

/** Window Center/Width pairs in order (PS3.3 C.11.2); pairs with a non-positive width are dropped. */
function readWindows(dataSet: DataSet): WindowSetting[] {
  const count = Math.min(dataSet.numStringValues('x00281050') ?? 0, dataSet.numStringValues('x00281051') ?? 0, 16);
  const windows: WindowSetting[] = [];
  for (let i = 0; i < count; i++) {
    const center = decimal(dataSet, 'x00281050', i);
    const width = decimal(dataSet, 'x00281051', i);
    if (center === null || width === null || width <= 0) continue;
    const name = text(dataSet, 'x00281055', i);
    windows.push(name ? { center, width, name } : { center, width });
  }
  return windows;
}
