/**
 * The review audit trail in loupe.db (migration 005): verdicts appended, never changed; the
 * current verdict of an image under a run is its latest row. Also the reviewer name, kept in the
 * workspace's meta table (Loupe has no app-wide settings store), defaulting to the OS user.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { LoupeError, type ReviewPrediction, type ReviewVerdict } from '../../../contract/index';
import { insertVerdictRow, listRows, sharedFields, type TrailRow } from './trail-rows';

const REVIEWER_KEY = 'reviewer';
/** The name used where the OS cannot say who is logged in (some containers). */
const FALLBACK_REVIEWER = 'reviewer';

interface VerdictRow extends TrailRow {
  correct_class: string | null;
}

// Rows of other kinds of run (segmentation: mask-trail.ts) keep other predictions: leave them out here.
const SELECT = `SELECT v.*, c.revision AS correction_revision FROM review_verdicts v LEFT JOIN review_corrections c ON c.verdict_id = v.id WHERE v.kind = 'classification'`;

function fromRow(row: VerdictRow): ReviewVerdict {
  return {
    ...sharedFields(row),
    prediction: JSON.parse(row.prediction_json) as ReviewPrediction,
    correctClass: row.correct_class,
  };
}

export function defaultReviewer(): string {
  try {
    return os.userInfo().username || FALLBACK_REVIEWER;
  } catch {
    return FALLBACK_REVIEWER;
  }
}

export function reviewer(db: Database.Database): { reviewer: string; isDefault: boolean } {
  const stored = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(REVIEWER_KEY) as string | undefined;
  return stored ? { reviewer: stored, isDefault: false } : { reviewer: defaultReviewer(), isDefault: true };
}

export function setReviewer(db: Database.Database, name: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    REVIEWER_KEY,
    name,
  );
}

export type NewVerdict = Omit<ReviewVerdict, 'id' | 'createdAt' | 'correctionRevision'>;

export function appendVerdict(db: Database.Database, verdict: NewVerdict): ReviewVerdict {
  return requireVerdict(db, insertVerdictRow(db, { ...verdict, kind: 'classification' }));
}

export function requireVerdict(db: Database.Database, id: number): ReviewVerdict {
  const row = db.prepare(`${SELECT} AND v.id = ?`).get(id) as VerdictRow | undefined;
  if (!row) throw new LoupeError('NOT_FOUND', `There is no review verdict ${id} in this workspace.`);
  return fromRow(row);
}

/** Every verdict, oldest first; those on one run when `runId` is given. */
export function listVerdicts(db: Database.Database, runId?: string): ReviewVerdict[] {
  return listRows<VerdictRow>(db, SELECT, runId).map(fromRow);
}

/** The current (latest) verdict per image under a run. */
export function currentVerdicts(db: Database.Database, runId: string): Map<number, ReviewVerdict> {
  const rows = db
    .prepare(
      `${SELECT} AND v.id IN (SELECT MAX(id) FROM review_verdicts WHERE kind = 'classification' AND run_id = ? GROUP BY image_id)`,
    )
    .all(runId) as VerdictRow[];
  return new Map(rows.map((r) => [r.image_id, fromRow(r)]));
}

export function appendCorrection(
  db: Database.Database,
  verdictId: number,
  taskId: number,
  imageId: number,
  revision: number,
): void {
  db.prepare(
    'INSERT INTO review_corrections (verdict_id, task_id, image_id, revision, applied_at) VALUES (?, ?, ?, ?, ?)',
  ).run(verdictId, taskId, imageId, revision, new Date().toISOString());
}
