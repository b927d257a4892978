/**
 * Verdicts on detection and verification runs in the review audit trail (migrations 005, 008 and
 * 010): rows of review_verdicts with kind 'detection' or 'verification', appended, never changed.
 * The prediction and what a "disagree" says is right are JSON columns of the same row, so the
 * trail needs no table of its own. The current verdict on an image (detection) or a pair
 * (verification) under a run is its latest row, as for classification (trail.ts).
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type BoxPairCorrection,
  type BoxPairVerdict,
  type ReviewVerdictKind,
} from '../../../contract/index';

export type BoxPairKind = BoxPairVerdict['kind'];

interface BoxPairRow {
  id: number;
  kind: BoxPairKind;
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
  correction_json: string | null;
  correction_revision: number | null;
}

const SELECT = `SELECT v.*, c.revision AS correction_revision FROM review_verdicts v
  LEFT JOIN review_corrections c ON c.verdict_id = v.id
  WHERE v.kind IN ('detection', 'verification')`;

function fromRow(row: BoxPairRow): BoxPairVerdict {
  return {
    id: row.id,
    kind: row.kind,
    reviewer: row.reviewer,
    createdAt: row.created_at,
    imageId: row.image_id,
    imageSha256: row.image_sha256,
    imagePath: row.image_path,
    runId: row.run_id,
    weightsSha256: row.weights_sha256,
    taskId: row.task_id,
    prediction: JSON.parse(row.prediction_json) as BoxPairVerdict['prediction'],
    method: row.method,
    verdict: row.verdict,
    comment: row.comment,
    correction: row.correction_json === null ? null : (JSON.parse(row.correction_json) as BoxPairCorrection),
    correctionRevision: row.correction_revision,
  };
}

export type NewBoxPairVerdict = Omit<BoxPairVerdict, 'id' | 'createdAt' | 'correctionRevision' | 'kind'>;

export function appendBoxPairVerdict(db: Database.Database, verdict: NewBoxPairVerdict): BoxPairVerdict {
  const pairImage = verdict.prediction.kind === 'verification' ? verdict.prediction.imageB : null;
  const id = db
    .prepare(
      `INSERT INTO review_verdicts (kind, reviewer, created_at, image_id, pair_image_id, image_sha256, image_path, run_id, weights_sha256, task_id, prediction_json, method, verdict, correct_class, comment, correction_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
    )
    .run(
      verdict.prediction.kind,
      verdict.reviewer,
      new Date().toISOString(),
      verdict.imageId,
      pairImage,
      verdict.imageSha256,
      verdict.imagePath,
      verdict.runId,
      verdict.weightsSha256,
      verdict.taskId,
      JSON.stringify(verdict.prediction),
      verdict.method,
      verdict.verdict,
      verdict.comment,
      verdict.correction === null ? null : JSON.stringify(verdict.correction),
    ).lastInsertRowid;
  return requireBoxPairVerdict(db, Number(id));
}

export function requireBoxPairVerdict(db: Database.Database, id: number): BoxPairVerdict {
  const row = db.prepare(`${SELECT} AND v.id = ?`).get(id) as BoxPairRow | undefined;
  if (!row)
    throw new LoupeError(
      'NOT_FOUND',
      `There is no verdict ${id} on a detection or verification run in this workspace.`,
    );
  return fromRow(row);
}

/** Every detection and verification verdict, oldest first; those on one run when `runId` is given. */
export function listBoxPairVerdicts(db: Database.Database, runId?: string): BoxPairVerdict[] {
  const rows = (
    runId === undefined
      ? db.prepare(`${SELECT} ORDER BY v.id`).all()
      : db.prepare(`${SELECT} AND v.run_id = ? ORDER BY v.id`).all(runId)
  ) as BoxPairRow[];
  return rows.map(fromRow);
}

/** The current (latest) verdict on one image (detection) or one pair (verification) under a run. */
export function currentBoxPairVerdict(
  db: Database.Database,
  runId: string,
  imageId: number,
  pairImageId: number | null,
): BoxPairVerdict | null {
  const row = db
    .prepare(`${SELECT} AND v.run_id = ? AND v.image_id = ? AND v.pair_image_id IS ? ORDER BY v.id DESC LIMIT 1`)
    .get(runId, imageId, pairImageId) as BoxPairRow | undefined;
  return row ? fromRow(row) : null;
}
