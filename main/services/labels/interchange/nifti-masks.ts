/**
 * NIfTI label maps as masks, and the layout MONAI and nnU-Net datasets come in (the Medical
 * Segmentation Decathlon's): imagesTr/x.nii.gz (nnU-Net v2 adds a channel suffix, x_0000.nii.gz)
 * beside labelsTr/x.nii.gz, class names in dataset.json. A label map's voxel value is the class.
 *
 * A 3D label map becomes one mask per slice: slice k is the mask of frame k of its image, read the
 * same way as the image's slices (volume.ts: no flip, no resampling), so slice k of the label map
 * lies on frame k voxel for voxel. That holds only when both files share one voxel grid, so the
 * label map's shape, voxel size and voxel → world affine are checked against its image's (the
 * checks nnU-Net makes of a dataset), and a mismatch is refused by name before anything is
 * written, like any other mask that cannot be read (with skipMalformed its image is left out).
 * Every slice is kept, empty ones included: an all-background slice of a label map says that
 * frame has nothing of any class, which training must see as such, not as an unlabelled frame.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError } from '../../../../contract/index';
// The NIfTI reader alone (not ml/decode/index): a label map needs no DICOM or raster decoder in main.
import { isDecodeError } from '../../../../ml/decode/errors';
import { isNiftiFile, niftiGeometry, openNifti, type NiftiGeometry } from '../../../../ml/decode/nifti';

/** The nnU-Net / MSD folder names: training images and their label maps. */
export const NNUNET_IMAGES_FOLDER = 'imagesTr';
export const NNUNET_LABELS_FOLDER = 'labelsTr';
export const DATASET_JSON = 'dataset.json';
/** Mask file endings the image + mask layout reads. */
export const MASK_EXTENSIONS = ['.png', '.nii', '.nii.gz'] as const;

const NIFTI_NAME = /\.nii(\.gz)?$/i;
/** nnU-Net v2's channel (modality) suffix: x_0000.nii.gz is channel 0 of case x. */
const CHANNEL_SUFFIX = /_\d{4}$/;
/** Largest class value a Loupe mask holds (8-bit PNG, mask_index 1 to 255). */
const MAX_MASK_VALUE = 255;
/**
 * How far a label map's affine may lie from its image's, in mm: float32 header fields round far
 * below this, and a real mismatch (another scan, a resampled label map) is millimetres or more.
 */
const GEOMETRY_TOLERANCE_MM = 1e-3;
/** Enough of a .nii.gz to inflate its header from (the header is its first few hundred bytes). */
const HEADER_PREFIX_BYTES = 64 * 1024;

/** A label map as masks: one class value per pixel of each slice, slice k for frame k. */
export interface IndexSlices {
  width: number;
  height: number;
  slices: Uint8Array[];
}

export const isNiftiName = (name: string): boolean => NIFTI_NAME.test(name);

/** A file's name without its ending; .nii.gz counts as one ending. */
export function maskStem(relative: string): string {
  return isNiftiName(relative) ? relative.replace(NIFTI_NAME, '') : relative.replace(/\.[^./]+$/, '');
}

/** The stems a mask of this image may have: its own, and for NIfTI also the one without nnU-Net's channel suffix. */
export function maskStemsOf(imageRelative: string): string[] {
  const stem = maskStem(imageRelative);
  return isNiftiName(imageRelative) && CHANNEL_SUFFIX.test(stem) ? [stem, stem.replace(CHANNEL_SUFFIX, '')] : [stem];
}

/**
 * A NIfTI label map as one mask per slice, or why it cannot be masks of its image `imageFile`
 * (shown as `imageWhere`). Against a NIfTI image the voxel grids are compared; a label map of
 * several slices needs a NIfTI image, since only then can its geometry be checked.
 */
export async function readIndexNifti(
  bytes: Uint8Array,
  imageFile: string,
  imageWhere: string,
): Promise<IndexSlices | string> {
  const decoded = decodeIndexNifti(bytes);
  if (typeof decoded === 'string') return decoded;
  if (isNiftiName(imageFile)) {
    let image: NiftiGeometry;
    try {
      image = niftiGeometry(await headerPrefix(imageFile));
    } catch (error) {
      if (isDecodeError(error))
        return `cannot be checked against ${imageWhere}, whose header is unreadable (${error.message})`;
      throw error;
    }
    const mismatch = geometryMismatch(decoded.geometry, image, imageWhere);
    if (mismatch) return mismatch;
  } else if (decoded.slices.length > 1) {
    return `is a 3D label map of ${decoded.slices.length} slices, but its image ${imageWhere} is not NIfTI; Loupe pairs a 3D label map only with a NIfTI volume, whose voxel grid and affine it can check`;
  }
  return { width: decoded.width, height: decoded.height, slices: decoded.slices };
}

async function headerPrefix(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(HEADER_PREFIX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Why a label map's voxel grid is not its image's, or null when they match. */
export function geometryMismatch(label: NiftiGeometry, image: NiftiGeometry, imageWhere: string): string | null {
  const grid = (g: NiftiGeometry): string => g.shape.join('×');
  const sizes = (g: NiftiGeometry): string => g.voxelSize.map((v) => +v.toFixed(4)).join('×');
  if (label.shape.some((n, i) => n !== image.shape[i]))
    return `is ${grid(label)} voxels but its image ${imageWhere} is ${grid(image)}; a label map must have its image's voxel grid`;
  if (label.axisCodes !== image.axisCodes)
    return `is oriented ${label.axisCodes ?? 'without an affine'} but its image ${imageWhere} ${image.axisCodes ?? 'without an affine'}; a label map must have its image's orientation`;
  if (label.voxelSize.some((v, i) => Math.abs(v - image.voxelSize[i]!) > GEOMETRY_TOLERANCE_MM))
    return `has voxels of ${sizes(label)} mm but its image ${imageWhere} ${sizes(image)} mm; a label map must have its image's spacing`;
  let apart = 0;
  for (let w = 0; w < 3; w++)
    for (let c = 0; c < 4; c++) apart = Math.max(apart, Math.abs(label.affine[w]![c]! - image.affine[w]![c]!));
  if (apart > GEOMETRY_TOLERANCE_MM)
    return `has a voxel-to-world affine (sform/qform) up to ${+apart.toFixed(3)} mm from its image ${imageWhere}'s; a label map must lie where its image lies`;
  return null;
}

/** Every slice of a NIfTI label map as class values, or why it cannot be a label map. */
export function decodeIndexNifti(bytes: Uint8Array): (IndexSlices & { geometry: NiftiGeometry }) | string {
  const slices: Uint8Array[] = [];
  let volume;
  let geometry;
  try {
    if (!isNiftiFile(bytes)) return `is named like NIfTI but has no NIfTI-1 or NIfTI-2 header`;
    volume = openNifti(bytes);
    geometry = niftiGeometry(bytes);
    if (volume.info.samplesPerPixel !== 1) return 'is a colour volume; a label map has one value per voxel';
    for (let k = 0; k < volume.info.frames; k++) {
      const frame = volume.decodeFrame(k);
      const data = new Uint8Array(frame.data.length);
      for (let i = 0; i < data.length; i++) {
        const value = frame.data[i]! * frame.rescaleSlope + frame.rescaleIntercept;
        if (!Number.isInteger(value) || value < 0 || value > MAX_MASK_VALUE)
          return `has the voxel value ${value}${volume.info.frames > 1 ? ` in slice ${k}` : ''}; label map values are whole numbers from 0 to ${MAX_MASK_VALUE}`;
        data[i] = value;
      }
      slices.push(data);
    }
  } catch (error) {
    if (isDecodeError(error)) return `is not a readable label map (${error.message})`;
    throw error;
  }
  return { width: volume.info.columns, height: volume.info.rows, slices, geometry };
}

/**
 * Class names from dataset.json: MSD writes {"labels": {"0": "background", "1": "liver"}}, nnU-Net
 * v2 {"labels": {"background": 0, "liver": 1}}. Null when the folder has no dataset.json.
 */
export async function readDatasetLabels(root: string): Promise<Map<number, string> | null> {
  const text = await readFile(path.join(root, DATASET_JSON), 'utf8').catch(() => null);
  if (text === null) return null;
  const refuse = (why: string): never => {
    throw new LoupeError('INVALID_REQUEST', `${DATASET_JSON}: ${why}`);
  };
  let labels: unknown;
  try {
    labels = (JSON.parse(text) as { labels?: unknown }).labels;
  } catch (error) {
    return refuse(`is not valid JSON (${(error as Error).message}).`);
  }
  if (labels === undefined) return null;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    return refuse('"labels" must map label values to names (MSD) or names to values (nnU-Net).');
  const map = new Map<number, string>();
  for (const [key, entry] of Object.entries(labels)) {
    const msd = typeof entry === 'string';
    const value = msd ? Number(key) : entry;
    const name = msd ? entry : key;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MASK_VALUE)
      return refuse(
        `the label "${name}" has the value ${JSON.stringify(msd ? key : entry)}; Loupe reads one whole value from 0 to ${MAX_MASK_VALUE} per label (nnU-Net region lists are not read).`,
      );
    if (value > 0) map.set(value, name.trim());
  }
  return map;
}
