/**
 * The columns every verdict of the review audit trail has (review_verdicts, migrations 005, 008
 * and 010), whatever kind of run it judges: one insert and one mapping of the shared fields, so
 * trail.ts (classification), mask-trail.ts (segmentation) and box-pair-trail.ts (detection and
 * verification) differ only in what their prediction and correction hold.
 */
import type Database from 'better-sqlite3';
import type { ReviewVerdictKind, TaskKind } from '../../../contract/index';

/** A row as the trail's SELECTs return it, with the correction's label revision joined in. */
export interface TrailRow {
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
  comment: string;
  correction_revision: number | null;
}

/** The fields every kind of verdict shares, from a row. */
export function sharedFields(row: TrailRow) {
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
    method: row.method,
    verdict: row.verdict,
    comment: row.comment,
    correctionRevision: row.correction_revision,
  };
}

/** What a new row says beyond the shared fields' values. */
export interface NewTrailRow {
  kind: TaskKind;
  reviewer: string;
  imageId: number;
  imageSha256: string;
  imagePath: string;
  runId: string;
  weightsSha256: string;
  taskId: number | null;
  method: string;
  verdict: ReviewVerdictKind;
  comment: string;
  /** The prediction as the kind keeps it. */
  prediction: unknown;
  correctClass?: string | null;
  pairImageId?: number | null;
  correction?: unknown;
}

/** Appends one verdict row (never changed afterwards: the triggers refuse it) and returns its id. */
export function insertVerdictRow(db: Database.Database, row: NewTrailRow): number {
  const id = db
    .prepare(
      `INSERT INTO review_verdicts (kind, reviewer, created_at, image_id, pair_image_id, image_sha256, image_path, run_id,
         weights_sha256, task_id, prediction_json, method, verdict, correct_class, comment, correction_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      row.kind,
      row.reviewer,
      new Date().toISOString(),
      row.imageId,
      row.pairImageId ?? null,
      row.imageSha256,
      row.imagePath,
      row.runId,
      row.weightsSha256,
      row.taskId,
      JSON.stringify(row.prediction),
      row.method,
      row.verdict,
      row.correctClass ?? null,
      row.comment,
      row.correction === undefined || row.correction === null ? null : JSON.stringify(row.correction),
    ).lastInsertRowid;
  return Number(id);
}

/** Rows of `select` (which ends in a WHERE clause), oldest first; those on one run when `runId` is given. */
export function listRows<R>(db: Database.Database, select: string, runId?: string): R[] {
  return (
    runId === undefined
      ? db.prepare(`${select} ORDER BY v.id`).all()
      : db.prepare(`${select} AND v.run_id = ? ORDER BY v.id`).all(runId)
  ) as R[];
}
