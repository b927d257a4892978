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
  SPLITS,
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

type SplitPairs = VerificationDatasetReport['splitPairs'][number];

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** Why a split's pairs cannot give an EER, in plain words; null when they can (or the split is empty). */
export function splitPairProblem(source: VerificationDatasetReport['source'], s: SplitPairs): string | null {
  if (s.images === 0 || (s.genuine > 0 && s.impostor > 0)) return null;
  const holds = `${plural(s.images, 'image')} of ${plural(s.identities, 'identity', 'identities')}`;
  const has =
    source === 'identities'
      ? `${plural(s.genuine, 'genuine pair')} and ${plural(s.impostor, 'impostor pair')} (${holds})`
      : `${plural(s.genuine, 'same pair')} and ${plural(s.impostor, 'different pair')} labelled inside it (${holds})`;
  const fix =
    source === 'identities'
      ? s.impostor === 0
        ? `give it images of more identities (assign splits again with a larger ${s.split} fraction, or label more identities)`
        : `give some of its identities two images or more`
      : `label ${s.impostor === 0 ? 'different' : 'same'} pairs between images of this split (generated pairs stay inside this task's splits once it has them)`;
  return `The ${s.split} split has ${has}, so no EER can be measured on it: ${fix}.`;
}

/** Warnings for every split whose pairs cannot give an EER. */
function warningsOf(source: VerificationDatasetReport['source'], splitPairs: readonly SplitPairs[]): string[] {
  return splitPairs.flatMap((s) => splitPairProblem(source, s) ?? []);
}

/**
 * Why a verifier cannot train on this dataset (its train split lacks genuine or impostor pairs),
 * or null. Validation and test problems are warnings: the run trains, without that split's EER.
 */
export function trainSplitRefusal(report: VerificationDatasetReport): string | null {
  const train = report.splitPairs.find((s) => s.split === 'train');
  if (!train) return null;
  if (train.images === 0) return 'The train split has no images; assign splits first.';
  const problem = splitPairProblem(report.source, train);
  return problem && `A verifier learns from genuine and impostor pairs. ${problem}`;
}

const pairsOf = (n: number): number => (n * (n - 1)) / 2;

/** Identities per split, how many have images in more than one split, and the pairs each split forms from its own images. */
export function identityReport(images: readonly { split: SplitName; identity: string }[]): VerificationDatasetReport {
  const splitsOf = new Map<string, Set<SplitName>>();
  for (const { split, identity } of images) splitsOf.set(identity, (splitsOf.get(identity) ?? new Set()).add(split));
  const identities = zero();
  for (const splits of splitsOf.values()) for (const split of splits) identities[split]++;
  const splitPairs = SPLITS.map((split): SplitPairs => {
    const perIdentity = new Map<string, number>();
    for (const image of images)
      if (image.split === split) perIdentity.set(image.identity, (perIdentity.get(image.identity) ?? 0) + 1);
    const count = [...perIdentity.values()].reduce((a, b) => a + b, 0);
    const genuine = [...perIdentity.values()].reduce((n, k) => n + pairsOf(k), 0);
    return { split, identities: perIdentity.size, images: count, genuine, impostor: pairsOf(count) - genuine };
  });
  return {
    source: 'identities',
    identities,
    sharedIdentities: [...splitsOf.values()].filter((s) => s.size > 1).length,
    pairs: null,
    skippedPairs: [],
    splitPairs,
    warnings: warningsOf('identities', splitPairs),
  };
}

/** Connected groups of images joined by same pairs: the identities a split's labelled pairs imply. */
function impliedIdentities(images: readonly number[], same: readonly { a: number; b: number }[]): number {
  const parent = new Map(images.map((i) => [i, i]));
  const root = (i: number): number => {
    let r = i;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    parent.set(i, r);
    return r;
  };
  for (const { a, b } of same) parent.set(root(a), root(b));
  return new Set(images.map(root)).size;
}

/** Labelled pairs used per split (same and different), and those left out by reason. */
export function pairReport(
  used: readonly { split: SplitName; same: boolean; a: number; b: number }[],
  skipped: ReadonlyMap<string, number>,
): VerificationDatasetReport {
  const same = zero();
  const different = zero();
  for (const pair of used) (pair.same ? same : different)[pair.split]++;
  const splitPairs = SPLITS.map((split): SplitPairs => {
    const inSplit = used.filter((p) => p.split === split);
    const images = [...new Set(inSplit.flatMap((p) => [p.a, p.b]))];
    return {
      split,
      identities: impliedIdentities(
        images,
        inSplit.filter((p) => p.same),
      ),
      images: images.length,
      genuine: same[split],
      impostor: different[split],
    };
  });
  return {
    source: 'pairs',
    identities: null,
    sharedIdentities: 0,
    pairs: { same, different },
    skippedPairs: [...skipped].map(([reason, pairs]) => ({ reason, pairs })),
    splitPairs,
    warnings: warningsOf('pairs', splitPairs),
  };
}
