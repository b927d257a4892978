/**
 * A NIfTI volume as a multi-frame image: frame k is the k-th slice along the third voxel axis.
 * Frame k shows what nibabel's `img.dataobj[:, :, k].T` holds: columns run along the first voxel
 * axis (i), rows along the second (j), row 0 at the top, with no flip and no resampling — the
 * voxel grid as stored, so slices are never transposed against nibabel or ITK-SNAP (which may
 * still flip an axis to its display convention). The orientation the qform/sform gives is shown
 * as axis codes ("RAS") in the metadata panel. scl_slope/scl_inter become the rescale slope and
 * intercept; pixdim[1], pixdim[2] become the pixel spacing in mm. 4D and higher volumes (several
 * time points or channels) are refused by name: taking one would silently drop the rest.
 */
import type { ImageInfo, PixelArray } from '../../../contract/channels/imaging';
import { DecodeError } from '../errors';
import { checkDecodedBytes, checkFramePixels, formatBytes } from '../limits';
import { valueRange } from '../dicom/pixels';
import type { DecodedFrame } from '../types';
import { keptType, STORED_TYPES, UNREAD_TYPES, type KeptType, type StoredType } from './datatypes';
import { parseNiftiHeader, type NiftiHeader } from './header';
import { gunzipNifti, gzippedHeader, isGzip } from './inflate';
import { axisCodes } from './orientation';

export interface OpenedNifti {
  info: ImageInfo;
  decodeFrame: (frame: number) => DecodedFrame;
}

export function openNifti(bytes: Uint8Array): OpenedNifti {
  const gz = isGzip(bytes);
  const header = gz ? gzippedHeader(bytes) : parseNiftiHeader(bytes);
  const [columns, rows, frames] = volumeShape(header);
  const stored = storedType(header);
  checkFramePixels(columns, rows);
  const voxelBytes = columns * rows * frames * stored.bytes;
  const what = `${columns}×${rows}×${frames} ${stored.name}`;
  checkDecodedBytes(voxelBytes, what);
  const file = gz ? gunzipNifti(bytes, header.voxOffset + voxelBytes) : bytes;
  if (file.length < header.voxOffset + voxelBytes)
    throw new DecodeError(
      'truncated-pixels',
      `This NIfTI file holds ${formatBytes(Math.max(0, file.length - header.voxOffset))} of voxels where its header declares ${formatBytes(voxelBytes)} (${what}); it is truncated.`,
    );
  const voxels = new DataView(file.buffer, file.byteOffset + header.voxOffset, voxelBytes);
  const kept = keptType(stored, stored.name.endsWith('int32') ? intRange(voxels, stored, header) : undefined);
  const frameSamples = columns * rows * stored.samples;
  const info = niftiInfo(header, { columns, rows, frames, stored, kept });
  return {
    info,
    decodeFrame(frame: number): DecodedFrame {
      if (!Number.isInteger(frame) || frame < 0 || frame >= frames)
        throw new DecodeError(
          'malformed',
          `This volume has ${frames} slice${frames === 1 ? '' : 's'} (indices 0 to ${frames - 1}); there is no frame index ${frame}.`,
        );
      const data = kept.make(frameSamples);
      readSamples(voxels, frame * frameSamples, stored, header.littleEndian, data);
      return {
        frame,
        rows,
        columns,
        samplesPerPixel: info.samplesPerPixel,
        bitsAllocated: info.bitsAllocated,
        bitsStored: info.bitsStored,
        pixelRepresentation: info.pixelRepresentation,
        photometricInterpretation: info.photometricInterpretation,
        transferSyntaxUID: null,
        rescaleSlope: info.rescaleSlope,
        rescaleIntercept: info.rescaleIntercept,
        windowCenter: info.windows[0]?.center ?? null,
        windowWidth: info.windows[0]?.width ?? null,
        data,
        ...valueRange(data),
      };
    },
  };
}

/** Columns (dim[1]), rows (dim[2]) and slices (dim[3]); a 4D+ volume with more than one volume is refused. */
function volumeShape(header: NiftiHeader): [number, number, number] {
  const [columns = 1, rows = 1, slices = 1, ...rest] = header.dims;
  const volumes = rest.reduce((a, b) => a * b, 1);
  if (volumes > 1)
    throw new DecodeError(
      'unsupported',
      `This NIfTI file is ${header.dims.length}D (${header.dims.join('×')}): ${volumes} volumes of ${columns}×${rows}×${slices}. Loupe imports 3D volumes; split it into one file per volume (e.g. fslsplit, or nibabel's four_to_three) and import those.`,
    );
  return [columns, rows, slices];
}

function storedType(header: NiftiHeader): StoredType {
  const stored = STORED_TYPES.get(header.datatype);
  if (stored) return stored;
  const name = UNREAD_TYPES.get(header.datatype);
  throw new DecodeError(
    'unsupported',
    `This NIfTI file stores ${name ?? `datatype code ${header.datatype}`} voxels; Loupe reads uint8, int8, int16, uint16, int32, uint32, float32, float64 and RGB24.`,
  );
}

/** Smallest and largest value of a 32-bit integer volume, to choose the type it is kept in. */
function intRange(voxels: DataView, stored: StoredType, header: NiftiHeader): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let at = 0; at < voxels.byteLength; at += stored.bytes) {
    const v = stored.read(voxels, at, header.littleEndian);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

function readSamples(
  voxels: DataView,
  firstSample: number,
  stored: StoredType,
  littleEndian: boolean,
  into: PixelArray,
): void {
  // RGB24 is three uint8 samples per voxel, read one sample at a time.
  const step = stored.bytes / stored.samples;
  let at = firstSample * step;
  for (let i = 0; i < into.length; i++, at += step) into[i] = stored.read(voxels, at, littleEndian);
}

function niftiInfo(
  header: NiftiHeader,
  shape: { columns: number; rows: number; frames: number; stored: StoredType; kept: KeptType },
): ImageInfo {
  const { columns, rows, frames, stored, kept } = shape;
  // NIfTI: a scl_slope of 0 (or not a number) means the stored values are used as they are.
  const scaled = Number.isFinite(header.sclSlope) && header.sclSlope !== 0;
  // A voxel size that is 0, negative, not a number or infinite is no spacing (the contract takes finite numbers).
  const mm = (size: number): number | null =>
    size > 0 && Number.isFinite(size * header.unitToMm) ? size * header.unitToMm : null;
  const [sx, sy, sz] = header.voxelSize.map(mm) as [number | null, number | null, number | null];
  const colour = stored.samples === 3;
  const orientation = axisCodes(header);
  return {
    format: 'nifti',
    rows,
    columns,
    frames,
    samplesPerPixel: stored.samples,
    bitsAllocated: kept.bits,
    bitsStored: kept.bits,
    pixelRepresentation: kept.signed && !kept.float ? 1 : 0,
    photometricInterpretation: colour ? 'RGB' : 'MONOCHROME2',
    sourcePhotometricInterpretation: colour ? 'RGB' : 'MONOCHROME2',
    transferSyntaxUID: null,
    rescaleSlope: scaled ? header.sclSlope : 1,
    rescaleIntercept: scaled && Number.isFinite(header.sclInter) ? header.sclInter : 0,
    modalityUnit: '',
    windows:
      Number.isFinite(header.calMin) && Number.isFinite(header.calMax) && header.calMax > header.calMin
        ? [
            {
              center: (header.calMin + header.calMax) / 2,
              width: header.calMax - header.calMin,
              name: 'cal_min–cal_max',
            },
          ]
        : [],
    patientId: null,
    studyInstanceUid: null,
    seriesInstanceUid: null,
    sopInstanceUid: null,
    modality: null,
    pixelSpacing: sx !== null && sy !== null ? [sy, sx] : null,
    instanceNumber: null,
    attributes: {
      Format: `NIfTI-${header.version}`,
      Datatype:
        stored.name === keptName(kept) || stored.samples === 3
          ? stored.name
          : `${stored.name} (kept as ${keptName(kept)})`,
      VolumeSize: `${columns}×${rows}×${frames}`,
      ...(sz !== null ? { SliceSpacing: `${sz} mm` } : {}),
      ...(orientation ? { Orientation: orientation } : {}),
      ...(header.description ? { Description: header.description } : {}),
    },
  };
}

function keptName(kept: KeptType): string {
  return kept.float ? 'float32' : `${kept.signed ? 'int' : 'uint'}${kept.bits}`;
}
