/**
 * NIfTI label maps as masks, and the layout MONAI and nnU-Net datasets come in (the Medical
 * Segmentation Decathlon's): imagesTr/x.nii.gz (nnU-Net v2 adds a channel suffix, x_0000.nii.gz)
 * beside labelsTr/x.nii.gz, class names in dataset.json. A label map's voxel value is the class.
 *
 * Loupe keeps one mask per image (and per task), not one per slice, so only a single-slice label
 * map becomes a mask; a 3D label map is refused by name, before anything is written, like any
 * other mask that cannot be read (with skipMalformed its image is left out).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoupeError } from '../../../../contract/index';
// The NIfTI reader alone (not ml/decode/index): a label map needs no DICOM or raster decoder in main.
import { isDecodeError } from '../../../../ml/decode/errors';
import { isNiftiFile, openNifti } from '../../../../ml/decode/nifti';

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

/** A single-slice NIfTI label map as one class value per pixel, or why it cannot be a mask. */
export function decodeIndexNifti(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } | string {
  let frame;
  try {
    if (!isNiftiFile(bytes)) return `is named like NIfTI but has no NIfTI-1 or NIfTI-2 header`;
    const image = openNifti(bytes);
    if (image.info.frames !== 1)
      return `is a 3D label map of ${image.info.frames} slices; Loupe keeps one mask per image, so only single-slice (2D) NIfTI label maps import as masks`;
    if (image.info.samplesPerPixel !== 1) return 'is a colour volume; a label map has one value per voxel';
    frame = image.decodeFrame(0);
  } catch (error) {
    if (isDecodeError(error)) return `is not a readable label map (${error.message})`;
    throw error;
  }
  const data = new Uint8Array(frame.data.length);
  for (let i = 0; i < data.length; i++) {
    const value = frame.data[i]! * frame.rescaleSlope + frame.rescaleIntercept;
    if (!Number.isInteger(value) || value < 0 || value > MAX_MASK_VALUE)
      return `has the voxel value ${value}; label map values are whole numbers from 0 to ${MAX_MASK_VALUE}`;
    data[i] = value;
  }
  return { width: frame.columns, height: frame.rows, data };
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
