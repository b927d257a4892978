/**
 * NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers, read with a DataView in the file's own byte
 * order. Loupe reads these itself instead of through nifti-reader-js: that library inflates a
 * .nii.gz without an output bound (a gzip bomb would fill memory before any limit applied), and
 * the header is two fixed structs, so a reader of our own is short and every size it yields goes
 * through ml/decode/limits.ts before anything is allocated.
 */
import { DecodeError } from '../errors';
import { MAX_DIMENSION } from '../limits';

export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI2_HEADER_BYTES = 540;
/** The smallest vox_offset of a single-file NIfTI-1: the header plus the 4-byte extension flag. */
const NIFTI1_MIN_VOX_OFFSET = 352;
const NIFTI2_MIN_VOX_OFFSET = 544;
/** Most dimensions a NIfTI header may declare (dim[0]). */
const MAX_DIMS = 7;

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[1..dim[0]], each at least 1. */
  dims: number[];
  datatype: number;
  /** pixdim[1..3]: voxel size along the first three axes, in the file's spatial unit. */
  voxelSize: [number, number, number];
  /** Millimetres per spatial unit of xyzt_units (metres 1000, microns 0.001, unknown taken as mm). */
  unitToMm: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  calMin: number;
  calMax: number;
  description: string;
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d and qfac (pixdim[0]). */
  quaternion: [number, number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z: the qform's origin. */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z: the sform affine's first three rows. */
  sform: [number[], number[], number[]];
}

/** True when the bytes start with a NIfTI-1 or NIfTI-2 header (in either byte order). */
export function isNiftiHeader(bytes: Uint8Array): boolean {
  return headerLayout(bytes) !== null;
}

function headerLayout(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean; paired: boolean } | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === NIFTI1_HEADER_BYTES && bytes.length >= NIFTI1_HEADER_BYTES) {
      const magic = ascii(bytes, 344, 4);
      if (magic === 'n+1\0' || magic === 'ni1\0') return { version: 1, littleEndian, paired: magic === 'ni1\0' };
    }
    if (size === NIFTI2_HEADER_BYTES) {
      const magic = ascii(bytes, 4, 8);
      if (magic === 'n+2\0\r\n\x1a\n' || magic === 'ni2\0\r\n\x1a\n')
        return { version: 2, littleEndian, paired: magic.startsWith('ni2') };
    }
  }
  return null;
}

/** Bytes a header of this layout needs before it can be parsed (0 when the bytes are not NIfTI). */
export function headerBytesNeeded(bytes: Uint8Array): number {
  const layout = headerLayout(bytes);
  return layout === null ? 0 : layout.version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES;
}

export function parseNiftiHeader(bytes: Uint8Array): NiftiHeader {
  const layout = headerLayout(bytes);
  if (!layout) throw new DecodeError('not-an-image', 'This file has no NIfTI-1 or NIfTI-2 header.');
  if (layout.paired)
    throw new DecodeError(
      'unsupported',
      'This is the header of a NIfTI .hdr/.img pair; Loupe reads single-file NIfTI (.nii or .nii.gz). Convert it, e.g. with nibabel or fslchfiletype NIFTI_GZ.',
    );
  const length = layout.version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES;
  if (bytes.length < length)
    throw new DecodeError(
      'malformed',
      `This NIfTI file ends inside its ${length}-byte header (${bytes.length} bytes).`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = layout.littleEndian;
  const v1 = layout.version === 1;
  const int = (at: number): number => view.getInt16(at, le);
  const i32 = (at: number): number => view.getInt32(at, le);
  const f32 = (at: number): number => view.getFloat32(at, le);
  const f64 = (at: number): number => view.getFloat64(at, le);
  const i64 = (at: number): number => Number(view.getBigInt64(at, le));
  const dimAt = (i: number): number => (v1 ? int(40 + 2 * i) : i64(16 + 8 * i));
  const pixdim = (i: number): number => (v1 ? f32(76 + 4 * i) : f64(104 + 8 * i));
  const float = (v1At: number, v2At: number): number => (v1 ? f32(v1At) : f64(v2At));

  const rank = dimAt(0);
  if (!(rank >= 1 && rank <= MAX_DIMS))
    throw new DecodeError('malformed', `This NIfTI header declares ${rank} dimensions (dim[0]); it must be 1 to 7.`);
  const dims: number[] = [];
  for (let i = 1; i <= rank; i++) dims.push(dimAt(i));
  if (dims.some((d) => !Number.isSafeInteger(d)))
    throw new DecodeError(
      'too-large',
      `This NIfTI header declares the size ${dims.join('×')}, beyond Loupe's limit of ${MAX_DIMENSION} voxels along an axis; it was skipped.`,
    );
  if (dims.some((d) => d < 1))
    throw new DecodeError(
      'malformed',
      `This NIfTI header declares the size ${dims.join('×')}; every size must be 1 or more.`,
    );
  const voxOffset = v1 ? f32(108) : i64(168);
  const minOffset = v1 ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET;
  if (!(Number.isInteger(voxOffset) && voxOffset >= minOffset))
    throw new DecodeError(
      'malformed',
      Number.isFinite(voxOffset)
        ? `This NIfTI header puts the voxels at byte ${voxOffset} (vox_offset); a single-file NIfTI-${layout.version} has them at byte ${minOffset} or later.`
        : `This NIfTI header's vox_offset (where the voxels start) is not a number; a single-file NIfTI-${layout.version} has them at byte ${minOffset} or later.`,
    );
  const xyztUnits = v1 ? bytes[123]! : i32(500);
  const spatial = xyztUnits & 0x07;
  const quatern = (i: number): number => float(256 + 4 * i, 352 + 8 * i);
  const row = (i: number): number[] => [0, 1, 2, 3].map((c) => float(280 + 16 * i + 4 * c, 400 + 32 * i + 8 * c));
  return {
    version: layout.version,
    littleEndian: le,
    dims,
    datatype: v1 ? int(70) : int(12),
    voxelSize: [Math.abs(pixdim(1)), Math.abs(pixdim(2)), Math.abs(pixdim(3))],
    unitToMm: spatial === 1 ? 1000 : spatial === 3 ? 0.001 : 1,
    voxOffset,
    sclSlope: float(112, 176),
    sclInter: float(116, 184),
    calMax: float(124, 192),
    calMin: float(128, 200),
    description: ascii(bytes, v1 ? 148 : 240, 80)
      .replace(/\0.*$/s, '')
      .trim(),
    qformCode: v1 ? int(252) : i32(344),
    sformCode: v1 ? int(254) : i32(348),
    quaternion: [quatern(0), quatern(1), quatern(2), pixdim(0) < 0 ? -1 : 1],
    qoffset: [quatern(3), quatern(4), quatern(5)],
    sform: [row(0), row(1), row(2)],
  };
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
