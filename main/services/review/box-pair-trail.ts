/**
 * Verdicts on detection and verification runs in the review audit trail (migrations 005, 008 and
 * 010): rows of review_verdicts with kind 'detection' or 'verification', appended, never changed.
 * The prediction and what a "disagree" says is right are JSON columns of the same row, so the
 * trail needs no table of its own. The current verdict on an image (detection) or a pair
 * (verification) under a run is its latest row, as for classification (trail.ts).
 */
import type Database from 'better-sqlite3';
import { LoupeError, type BoxPairCorrection, type BoxPairVerdict } from '../../../contract/index';
import { insertVerdictRow, listRows, sharedFields, type TrailRow } from './trail-rows';

export type BoxPairKind = BoxPairVerdict['kind'];

interface BoxPairRow extends TrailRow {
  kind: BoxPairKind;
  correction_json: string | null;
}

const SELECT = `SELECT v.*, c.revision AS correction_revision FROM review_verdicts v
  LEFT JOIN review_corrections c ON c.verdict_id = v.id
  WHERE v.kind IN ('detection', 'verification')`;

function fromRow(row: BoxPairRow): BoxPairVerdict {
  return {
    ...sharedFields(row),
    kind: row.kind,
    prediction: JSON.parse(row.prediction_json) as BoxPairVerdict['prediction'],
    correction: row.correction_json === null ? null : (JSON.parse(row.correction_json) as BoxPairCorrection),
  };
}

export type NewBoxPairVerdict = Omit<BoxPairVerdict, 'id' | 'createdAt' | 'correctionRevision' | 'kind'>;

export function appendBoxPairVerdict(db: Database.Database, verdict: NewBoxPairVerdict): BoxPairVerdict {
  const p = verdict.prediction;
  const id = insertVerdictRow(db, {
    ...verdict,
    kind: p.kind,
    pairImageId: p.kind === 'verification' ? p.imageB : null,
  });
  return requireBoxPairVerdict(db, id);
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
  return listRows<BoxPairRow>(db, SELECT, runId).map(fromRow);
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
