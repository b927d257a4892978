/**
 * Where a NIfTI volume's voxels lie in the world: its voxel grid (dim[1..3]) and its voxel → world
 * affine in millimetres, as nibabel's `img.affine` gives it (nifti1.h methods 3, 2, 1: the sform
 * when its code is set, else the qform, else the voxel sizes alone). A label map belongs to an image
 * only when both agree, which is what nnU-Net checks of imagesTr/ against labelsTr/.
 */
import { parseNiftiHeader, type NiftiHeader } from './header';
import { gzippedHeader, isGzip } from './inflate';
import { axisCodes, qformRotation } from './orientation';

export interface NiftiGeometry {
  /** Columns, rows, slices (dim[1], dim[2], dim[3]; 1 where the file has fewer dimensions). */
  shape: [number, number, number];
  /** Voxel sizes in mm along i, j, k. */
  voxelSize: [number, number, number];
  /** The first three rows of the 4×4 voxel → world affine, in mm. */
  affine: number[][];
  /** nibabel's aff2axcodes of the affine ("RAS", "LPS"), or null when it names no orientation. */
  axisCodes: string | null;
}

/** Reads the header only (for a .nii.gz, its first inflated bytes). Throws a DecodeError when there is none. */
export function niftiGeometry(bytes: Uint8Array): NiftiGeometry {
  const header = isGzip(bytes) ? gzippedHeader(bytes) : parseNiftiHeader(bytes);
  const [columns = 1, rows = 1, slices = 1] = header.dims;
  const mm = header.unitToMm;
  return {
    shape: [columns, rows, slices],
    voxelSize: header.voxelSize.map((v) => v * mm) as [number, number, number],
    affine: affineOf(header).map((row) => row.map((v) => v * mm)),
    axisCodes: axisCodes(header),
  };
}

function affineOf(header: NiftiHeader): number[][] {
  if (header.sformCode > 0) return header.sform.map((row) => [...row]);
  const rotation = qformRotation(header);
  const size = header.voxelSize;
  if (rotation) return rotation.map((row, w) => [...row.map((v, axis) => v * size[axis]!), header.qoffset[w]!]);
  // Neither form set (nifti1.h method 1): voxel sizes on the diagonal, no offset.
  return [0, 1, 2].map((w) => [0, 1, 2].map((axis) => (axis === w ? size[axis]! : 0)).concat(0));
}
