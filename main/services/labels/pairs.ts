/**
 * Verification pairs: two images marked same or different, by hand or generated from a
 * classification task's labels (balanced, seeded, and by default never across splits).
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type LabelPair,
  type ParsedRequestOf,
  type ReplyOf,
  type SplitName,
} from '../../../contract/index';
import { missingImageIds } from './images';
import { taskImageFilter } from './task-images';
import { seededRandom } from '../../../contract/random';
import { nowIso } from './revisions';
import { requireTask } from './tasks';

interface PairRow {
  id: number;
  image_a: number;
  image_b: number;
  same: number;
  source: 'manual' | 'generated';
}

const fromRow = (r: PairRow): LabelPair => ({
  id: r.id,
  imageA: r.image_a,
  imageB: r.image_b,
  same: r.same === 1,
  source: r.source,
});

function requireVerificationTask(db: Database.Database, taskId: number): void {
  const task = requireTask(db, taskId);
  if (task.kind !== 'verification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `"${task.name}" is a ${task.kind} task; pairs belong to verification tasks.`,
    );
}

export function listPairs(
  db: Database.Database,
  taskId: number,
  offset: number,
  limit: number,
): ReplyOf<'labels.pairs'> {
  requireVerificationTask(db, taskId);
  const pairs = (
    db
      .prepare('SELECT * FROM pairs WHERE task_id = ? ORDER BY id DESC LIMIT ? OFFSET ?')
      .all(taskId, limit, offset) as PairRow[]
  ).map(fromRow);
  return { pairs, total: Number(db.prepare('SELECT COUNT(*) FROM pairs WHERE task_id = ?').pluck().get(taskId)) };
}

export function addPair(
  db: Database.Database,
  taskId: number,
  imageA: number,
  imageB: number,
  same: boolean,
): LabelPair {
  requireVerificationTask(db, taskId);
  const missing = missingImageIds(db, [imageA, imageB]);
  if (missing.length) throw new LoupeError('NOT_FOUND', `Image ${missing[0]} is not in this workspace.`);
  const [a, b] = imageA < imageB ? [imageA, imageB] : [imageB, imageA];
  const row = db
    .prepare(
      `INSERT INTO pairs (task_id, image_a, image_b, same, source, created_at) VALUES (?, ?, ?, ?, 'manual', ?)
       ON CONFLICT (task_id, image_a, image_b) DO UPDATE SET same = excluded.same, source = 'manual'
       RETURNING *`,
    )
    .get(taskId, a, b, same ? 1 : 0, nowIso()) as PairRow;
  return fromRow(row);
}

export function deletePairs(db: Database.Database, taskId: number, pairIds: readonly number[]): number {
  requireVerificationTask(db, taskId);
  const remove = db.prepare('DELETE FROM pairs WHERE task_id = ? AND id = ?');
  return db.transaction(() => pairIds.reduce((n, id) => n + remove.run(taskId, id).changes, 0))();
}

/** Sampling gives up on a bucket after this many draws per wanted pair (the bucket is exhausted). */
const DRAWS_PER_PAIR = 20;

export function generatePairs(
  db: Database.Database,
  request: ParsedRequestOf<'labels.generatePairs'>,
): ReplyOf<'labels.generatePairs'> {
  requireVerificationTask(db, request.taskId);
  const source = requireTask(db, request.fromTaskId);
  if (source.kind !== 'classification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `Pairs are generated from a classification task; "${source.name}" is ${source.kind}.`,
    );
  // Only images with exactly one class (with several, "same" would be ambiguous), among the images both tasks use.
  const inTarget = taskImageFilter(db, request.taskId);
  const inSource = taskImageFilter(db, source.id);
  const tagged = (
    db
      .prepare(
        'SELECT image_id AS imageId, MIN(class_id) AS classId FROM class_tags WHERE task_id = ? GROUP BY image_id HAVING COUNT(*) = 1 ORDER BY image_id',
      )
      .all(source.id) as { imageId: number; classId: number }[]
  ).filter((t) => inTarget(t.imageId) && inSource(t.imageId));
  // Pairs are formed inside each split of the verification task itself once it has splits: that
  // split decides what trains and what tests, and a pair across two of its splits is left out of
  // training (so an identity-grouped split would keep every same pair and lose the different ones).
  const splitsOf = (taskId: number): Map<number, SplitName> =>
    new Map(
      (
        db.prepare('SELECT image_id, split FROM split_assignments WHERE task_id = ?').all(taskId) as {
          image_id: number;
          split: SplitName;
        }[]
      ).map((r) => [r.image_id, r.split]),
    );
  const own = splitsOf(request.taskId);
  const splitOf = own.size > 0 ? own : splitsOf(source.id);
  const bySplit = request.sameSplitOnly && splitOf.size > 0;
  // Partitions (one per split, or one) → class → images.
  const partitions = new Map<string, Map<number, number[]>>();
  for (const { imageId, classId } of tagged) {
    const key = bySplit ? splitOf.get(imageId) : 'all';
    if (!key) continue;
    const classes = partitions.get(key) ?? new Map<number, number[]>();
    partitions.set(key, classes);
    classes.set(classId, [...(classes.get(classId) ?? []), imageId]);
  }
  const random = seededRandom(request.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const existing = db.prepare('SELECT 1 FROM pairs WHERE task_id = ? AND image_a = ? AND image_b = ?').pluck();
  const made = new Set<string>();
  let alreadyThere = 0;
  const positives: [number, number][] = [];
  const negatives: [number, number][] = [];
  const tryAdd = (x: number, y: number, into: [number, number][]): boolean => {
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a}:${b}`;
    if (a === b || made.has(key)) return false;
    made.add(key);
    if (existing.get(request.taskId, a, b)) {
      alreadyThere++;
      return false;
    }
    into.push([a, b]);
    return true;
  };

  // Positives: round-robin over every (partition, class) bucket with two images or more.
  const buckets = [...partitions.values()].flatMap((classes) =>
    [...classes.values()].filter((images) => images.length >= 2),
  );
  let draws = 0;
  while (positives.length < request.positives && buckets.length > 0 && draws < request.positives * DRAWS_PER_PAIR) {
    for (const bucket of buckets) {
      if (positives.length >= request.positives) break;
      draws++;
      tryAdd(pick(bucket), pick(bucket), positives);
    }
  }
  // Negatives: as many as positives, each from one partition with two classes or more.
  const mixed = [...partitions.values()]
    .map((classes) => [...classes.values()])
    .filter((classes) => classes.length >= 2);
  draws = 0;
  while (negatives.length < positives.length && mixed.length > 0 && draws < positives.length * DRAWS_PER_PAIR) {
    draws++;
    const classes = pick(mixed);
    const first = Math.floor(random() * classes.length);
    let second = Math.floor(random() * (classes.length - 1));
    if (second >= first) second++;
    tryAdd(pick(classes[first]!), pick(classes[second]!), negatives);
  }
  // Balanced means balanced: drop surplus positives when there were too few negatives to match.
  positives.length = Math.min(positives.length, negatives.length);
  const insert = db.prepare(
    "INSERT INTO pairs (task_id, image_a, image_b, same, source, created_at) VALUES (?, ?, ?, ?, 'generated', ?)",
  );
  const now = nowIso();
  db.transaction(() => {
    for (const [a, b] of positives) insert.run(request.taskId, a, b, 1, now);
    for (const [a, b] of negatives) insert.run(request.taskId, a, b, 0, now);
  })();
  return { positives: positives.length, negatives: negatives.length, alreadyThere };
}
