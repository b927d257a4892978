/**
 * One fuzz case: from (run seed, case index) alone, the format, the seed file and the stacked
 * mutations (1 to MAX_MUTATIONS, mostly format-aware, some format-blind). Nothing else feeds
 * the choice, so `FUZZ_SEED=… FUZZ_CASE=…` rebuilds a finding's file exactly.
 */
import type { Corpus, FuzzFormat, ImageFormat } from './corpus';
import { mutateBytes, type Mutated } from './mutate-bytes';
import { mutateDicom } from './mutate-dicom';
import { mutateJpeg } from './mutate-jpeg';
import { mutateLabels, type LabelBundle } from './mutate-labels';
import { mutateNifti } from './mutate-nifti';
import { mutatePng } from './mutate-png';
import { mutateTiff } from './mutate-tiff';
import { caseSeed, Random } from './random';

/**
 * Which format case k is: DICOM twice in nine (it has the most decoder paths: one per transfer
 * syntax), every other format once. NIfTI took the third DICOM slot, so every other case index
 * keeps its format (the findings tests rebuild label cases by index).
 */
export const FORMAT_CYCLE: readonly FuzzFormat[] = [
  'dicom',
  'png',
  'coco',
  'dicom',
  'jpeg',
  'yolo',
  'nifti',
  'tiff',
  'csv',
];

const MAX_MUTATIONS = 3;
/** Share of mutations that know the format; the rest are format-blind byte damage. */
const FORMAT_AWARE_SHARE = 0.7;

export type ImageMutant = {
  index: number;
  format: ImageFormat;
  seedName: string;
  what: string[];
  bytes: Uint8Array;
  /** The seed's file name ending ('nii.gz' for a gzipped NIfTI seed). */
  extension: string;
};
export type LabelMutant = {
  index: number;
  format: LabelBundle['format'];
  seedName: string;
  what: string[];
  bundle: LabelBundle;
};
export type Mutant = ImageMutant | LabelMutant;

function formatAware(format: ImageFormat, bytes: Uint8Array, rng: Random): Mutated | null {
  if (format === 'dicom') return rng.chance(0.75) ? mutateDicom(bytes, rng) : mutateJpeg(bytes, rng);
  if (format === 'png') return mutatePng(bytes, rng);
  if (format === 'nifti') return mutateNifti(bytes, rng);
  if (format === 'jpeg') return mutateJpeg(bytes, rng);
  return mutateTiff(bytes, rng);
}

export function mutantFor(corpus: Corpus, runSeed: number, index: number): Mutant {
  const rng = new Random(caseSeed(runSeed, index));
  const format = FORMAT_CYCLE[index % FORMAT_CYCLE.length]!;
  if (format === 'coco' || format === 'yolo' || format === 'csv') {
    const seed = rng.pick(corpus.labels.get(format)!);
    const { bundle, what } = mutateLabels(seed.bundle, rng);
    return { index, format, seedName: seed.name, what, bundle };
  }
  const seed = rng.pick(corpus.images.get(format)!);
  let bytes = seed.bytes;
  const what: string[] = [];
  for (let n = rng.between(1, MAX_MUTATIONS); n > 0 && bytes.length > 0; n--) {
    const done = (rng.chance(FORMAT_AWARE_SHARE) ? formatAware(format, bytes, rng) : null) ?? mutateBytes(bytes, rng);
    bytes = done.bytes;
    what.push(done.what);
  }
  return { index, format, seedName: seed.name, what, bytes, extension: seed.extension };
}
