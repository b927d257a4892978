/**
 * Verification datasets from a workspace, two ways a user says what is the same:
 *
 * - identities: a classification task whose classes name what each image shows (one class per
 *   part serial number, per patient's lesion), trained as a verifier. Every two images of one
 *   class are a same pair, any others a different pair; training mines pairs online from P × K
 *   batches (batch-hard triplet loss), evaluation scores every pair of a split.
 * - pairs: a verification task's labelled pairs (marked by hand). A pair counts only when both
 *   its images are in one split of the task, so no test pair leaks into training.
 *
 * This file says which kind a run trains on a task, and reports per split what each source holds.
 */
import {
  LoupeError,
  type LabelTask,
  type SplitName,
  type TaskKind,
  type VerificationDatasetReport,
} from '../../../contract/index';

/** Why a labelled pair is left out (the verification report's reasons). */
export const PAIR_IN_TWO_SPLITS =
  'its two images in different splits (assign splits grouped by part or patient to keep pairs together)';
export const PAIR_IMAGE_LEFT_OUT = 'an image left out (no split, or its file is missing)';

/**
 * What a run on `task` trains: the task's own kind, or (asked for) a verifier on a classification
 * task, its classes being identities. Any other pairing has no labels to train from.
 */
export function trainedKind(task: LabelTask, kind?: TaskKind): TaskKind {
  if (kind === undefined || kind === task.kind) return task.kind;
  if (kind === 'verification' && task.kind === 'classification') return kind;
  const also = task.kind === 'classification' ? ', or a verifier whose identities are its classes' : '';
  throw new LoupeError(
    'INVALID_REQUEST',
    `“${task.name}” is a ${task.kind} task; it trains a ${task.kind} model${also}, not a ${kind} model.`,
  );
}

/** True when a run of `kind` on `task` learns identities from its classes. */
export function trainsIdentities(task: LabelTask, kind: TaskKind): boolean {
  return kind === 'verification' && task.kind === 'classification';
}

const zero = (): Record<SplitName, number> => ({ train: 0, val: 0, test: 0 });

/** Identities per split, and how many have images in more than one split. */
export function identityReport(images: readonly { split: SplitName; identity: string }[]): VerificationDatasetReport {
  const splitsOf = new Map<string, Set<SplitName>>();
  for (const { split, identity } of images) splitsOf.set(identity, (splitsOf.get(identity) ?? new Set()).add(split));
  const identities = zero();
  for (const splits of splitsOf.values()) for (const split of splits) identities[split]++;
  return {
    source: 'identities',
    identities,
    sharedIdentities: [...splitsOf.values()].filter((s) => s.size > 1).length,
    pairs: null,
    skippedPairs: [],
  };
}

/** Labelled pairs used per split (same and different), and those left out by reason. */
export function pairReport(
  used: readonly { split: SplitName; same: boolean }[],
  skipped: ReadonlyMap<string, number>,
): VerificationDatasetReport {
  const same = zero();
  const different = zero();
  for (const pair of used) (pair.same ? same : different)[pair.split]++;
  return {
    source: 'pairs',
    identities: null,
    sharedIdentities: 0,
    pairs: { same, different },
    skippedPairs: [...skipped].map(([reason, pairs]) => ({ reason, pairs })),
  };
}
