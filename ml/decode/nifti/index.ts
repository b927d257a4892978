/** NIfTI-1 and NIfTI-2 volumes (.nii, .nii.gz) as multi-frame images; see volume.ts for the slice convention. */
import { isNiftiHeader } from './header';
import { isGzippedNifti } from './inflate';

export { openNifti, type OpenedNifti } from './volume';

/** True for a single-file NIfTI, plain or gzipped (recognised by its header, whatever the file's name). */
export function isNiftiFile(bytes: Uint8Array): boolean {
  return isNiftiHeader(bytes) || isGzippedNifti(bytes);
}

export { niftiGeometry, type NiftiGeometry } from './geometry';
