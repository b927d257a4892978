/**
 * Which images an evaluation scores, chosen so that its numbers cannot be inflated by images the
 * run learned from. By default the split the run trained with (its dataset snapshot); asked for
 * the task's current split, the images the run trained on are left out and counted. Either way,
 * scored images that share a patient or a split group (a part, a field) with a trained image are
 * counted and named in a warning: they are near-duplicates of what the model saw.
 *
 * Exact duplicates need no check here: the workspace keeps one image per file SHA-256 (images.sha256
 * is UNIQUE), so an identical file is the same image id, which the trained-on check already covers.
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type DatasetSample,
  type DatasetSnapshot,
  type EvaluationLeakage,
  type SplitName,
  type SplitSource,
} from '../../../contract/index';

export interface EvaluationSplit {
  /** The samples to score, each marked as being in `split`. */
  samples: DatasetSample[];
  leakage: EvaluationLeakage;
}

const images = (n: number): string => `${n} image${n === 1 ? '' : 's'}`;

/**
 * The samples of `split` to score. `samples`: the task's dataset as labelled now; `snapshot`: the
 * split the run recorded (null for a run whose record is gone, then only `current` can be used).
 */
export function evaluationSplit(
  db: Database.Database,
  args: {
    taskId: number;
    runId: string;
    split: SplitName;
    source: SplitSource;
    samples: readonly DatasetSample[];
    snapshot: DatasetSnapshot['splits'] | null;
  },
): EvaluationSplit {
  const { split, snapshot } = args;
  if (!snapshot)
    throw new LoupeError(
      'INVALID_REQUEST',
      `Run ${args.runId} has no record of the split it trained with; evaluate it on the current split instead (split source "current").`,
    );
  const trained = new Set(snapshot.train);
  let chosen: DatasetSample[];
  let trainedOnLeftOut = 0;
  let noLongerInDataset = 0;
  if (args.source === 'run') {
    const wanted = new Set(snapshot[split]);
    chosen = args.samples.filter((s) => wanted.has(s.id));
    noLongerInDataset = wanted.size - chosen.length;
  } else {
    const current = args.samples.filter((s) => s.split === split);
    // Scoring the train split is asked for on purpose (to see fit); any other split must not hold training images.
    chosen = split === 'train' ? current : current.filter((s) => !trained.has(s.id));
    trainedOnLeftOut = current.length - chosen.length;
  }
  const sameGroupAsTrained = split === 'train' ? 0 : sharingGroup(db, args.taskId, trained, chosen);
  const warnings: string[] = [];
  if (trainedOnLeftOut > 0)
    warnings.push(
      `${images(trainedOnLeftOut)} of the current ${split} split ${trainedOnLeftOut === 1 ? 'was' : 'were'} in the run's train split; left out of the scores.`,
    );
  if (noLongerInDataset > 0)
    warnings.push(
      `${images(noLongerInDataset)} of the run's ${split} split ${noLongerInDataset === 1 ? 'is' : 'are'} no longer in the task's dataset (unlabelled, without a split, outside the task's chosen images, or the file is missing); not scored.`,
    );
  if (sameGroupAsTrained > 0)
    warnings.push(
      `${images(sameGroupAsTrained)} scored here share a patient or a split group with images the run trained on; their scores may be optimistic.`,
    );
  return {
    samples: chosen.map((s) => ({ ...s, split })),
    leakage: { splitSource: args.source, trainedOnLeftOut, noLongerInDataset, sameGroupAsTrained, warnings },
  };
}

/** How many of `chosen` share a patient id or a (non per-image) split group key with a trained image. */
function sharingGroup(
  db: Database.Database,
  taskId: number,
  trained: ReadonlySet<string>,
  chosen: readonly DatasetSample[],
): number {
  const rows = db
    .prepare(
      `SELECT i.id, i.patient_id, s.group_key FROM images i
       LEFT JOIN split_assignments s ON s.image_id = i.id AND s.task_id = ?`,
    )
    .all(taskId) as { id: number; patient_id: string | null; group_key: string | null }[];
  const keysOf = new Map<string, string[]>();
  for (const row of rows) {
    const keys: string[] = [];
    if (row.patient_id?.trim()) keys.push(`patient:${row.patient_id.trim()}`);
    // An image grouped by itself shares nothing with another image.
    if (row.group_key && !row.group_key.startsWith('image:')) keys.push(`group:${row.group_key}`);
    keysOf.set(String(row.id), keys);
  }
  const trainedKeys = new Set([...trained].flatMap((id) => keysOf.get(id) ?? []));
  return chosen.filter((s) => (keysOf.get(s.id) ?? []).some((k) => trainedKeys.has(k))).length;
}
