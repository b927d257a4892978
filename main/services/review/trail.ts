/**
 * The review audit trail in loupe.db (migration 005): verdicts appended, never changed; the
 * current verdict of an image under a run is its latest row. Also the reviewer name, kept in the
 * workspace's meta table (Loupe has no app-wide settings store), defaulting to the OS user.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { LoupeError, type ReviewPrediction, type ReviewVerdict, type ReviewVerdictKind } from '../../../contract/index';

const REVIEWER_KEY = 'reviewer';
/** The name used where the OS cannot say who is logged in (some containers). */
const FALLBACK_REVIEWER = 'reviewer';

interface VerdictRow {
  id: number;
  reviewer: string;
  created_at: string;
  image_id: number;
  image_sha256: string;
  image_path: string;
  run_id: string;
  weights_sha256: string;
  task_id: number | null;
  prediction_json: string;
  method: string;
  verdict: ReviewVerdictKind;
  correct_class: string | null;
  comment: string;
  correction_revision: number | null;
}

// Rows of other kinds of run (segmentation: mask-trail.ts) keep other predictions: leave them out here.
const SELECT = `SELECT v.*, c.revision AS correction_revision FROM review_verdicts v LEFT JOIN review_corrections c ON c.verdict_id = v.id WHERE v.kind = 'classification'`;

function fromRow(row: VerdictRow): ReviewVerdict {
  return {
    id: row.id,
    reviewer: row.reviewer,
    createdAt: row.created_at,
    imageId: row.image_id,
    imageSha256: row.image_sha256,
    imagePath: row.image_path,
    runId: row.run_id,
    weightsSha256: row.weights_sha256,
    taskId: row.task_id,
    prediction: JSON.parse(row.prediction_json) as ReviewPrediction,
    method: row.method,
    verdict: row.verdict,
    correctClass: row.correct_class,
    comment: row.comment,
    correctionRevision: row.correction_revision,
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
  const id = db
    .prepare(
      `INSERT INTO review_verdicts (reviewer, created_at, image_id, image_sha256, image_path, run_id, weights_sha256, task_id, prediction_json, method, verdict, correct_class, comment)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      verdict.reviewer,
      new Date().toISOString(),
      verdict.imageId,
      verdict.imageSha256,
      verdict.imagePath,
      verdict.runId,
      verdict.weightsSha256,
      verdict.taskId,
      JSON.stringify(verdict.prediction),
      verdict.method,
      verdict.verdict,
      verdict.correctClass,
      verdict.comment,
    ).lastInsertRowid;
  return requireVerdict(db, Number(id));
}

export function requireVerdict(db: Database.Database, id: number): ReviewVerdict {
  const row = db.prepare(`${SELECT} AND v.id = ?`).get(id) as VerdictRow | undefined;
  if (!row) throw new LoupeError('NOT_FOUND', `There is no review verdict ${id} in this workspace.`);
  return fromRow(row);
}

/** Every verdict, oldest first; those on one run when `runId` is given. */
export function listVerdicts(db: Database.Database, runId?: string): ReviewVerdict[] {
  const rows = (
    runId === undefined
      ? db.prepare(`${SELECT} ORDER BY v.id`).all()
      : db.prepare(`${SELECT} AND v.run_id = ? ORDER BY v.id`).all(runId)
  ) as VerdictRow[];
  return rows.map(fromRow);
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
