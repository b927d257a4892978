/**
 * Whether a run may add to an output folder that holds earlier results (`existing`): only with
 * --resume, and only with the model, shard, threshold, gallery, explanation and formats the
 * folder's rows were made with, so that every row in it is comparable.
 */
import { LoupeError } from '../../../contract/index';
import type { BatchHeader } from './output-folder';

function shardText(shard: BatchHeader['shard']): string {
  return shard ? `${shard.index}/${shard.count}` : 'none (the whole input)';
}

/** Throws INVALID_REQUEST, saying what to do, unless this run may resume `folder`. */
export function refuseUnlikeResults(
  folder: string,
  existing: BatchHeader,
  header: BatchHeader,
  resume: boolean,
  requestedFormats: readonly string[],
): void {
  if (existing.modelId !== header.modelId || existing.weightsSha256 !== header.weightsSha256) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} holds results of another model (${existing.modelId}, weights ${existing.weightsSha256.slice(0, 12)}); choose another --out folder.`,
    );
  }
  if (!resume)
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} already holds results of this model; run with --resume to finish it, or choose another --out folder.`,
    );
  if (JSON.stringify(existing.shard) !== JSON.stringify(header.shard)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} holds shard ${shardText(existing.shard)}; resume it with the same --shard.`,
    );
  }
  // Rows of one folder must be comparable: the same threshold and formats throughout.
  if ((existing.threshold ?? null) !== header.threshold) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} was predicted with ${existing.threshold === null || existing.threshold === undefined ? "the model card's threshold" : `--threshold ${existing.threshold}`}; resume it with the same.`,
    );
  }
  if (JSON.stringify(existing.gallery ?? null) !== JSON.stringify(header.gallery ?? null)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} was predicted ${existing.gallery ? `with --gallery --top-k ${existing.gallery.k}` : 'without --gallery'}; resume it the same way.`,
    );
  }
  if ((existing.explain ?? null) !== (header.explain ?? null)) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} was predicted ${existing.explain ? `with --explain ${existing.explain}` : 'without --explain'}; resume it the same way.`,
    );
  }
  if (
    requestedFormats.length > 0 &&
    [...requestedFormats].sort().join(',') !== [...existing.formats].sort().join(',')
  ) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `${folder} holds ${existing.formats.join(',')} results; resume it with the same --format (or none).`,
    );
  }
}
