/**
 * Verdicts on segmentation runs in the review audit trail (migrations 005 and 007): rows of
 * review_verdicts with kind 'segmentation', appended, never changed, and the correct mask of a
 * "disagree" and the mask the model predicted beside its row in review_verdict_masks. The current verdict of an image under a run is
 * its latest row, as for classification (trail.ts).
 */
import type Database from 'better-sqlite3';
import { LoupeError, type MaskPrediction, type MaskVerdict } from '../../../contract/index';
import { insertVerdictRow, listRows, sharedFields, type TrailRow } from './trail-rows';

interface MaskVerdictRow extends TrailRow {
  mask_width: number | null;
  mask_height: number | null;
  mask_sha256: string | null;
  changed_pixels: number | null;
}

/** What prediction_json holds for a segmentation verdict: the prediction, and the Dice shown beside it. */
interface StoredPrediction {
  prediction: MaskPrediction;
  dice: number | null;
}

const SELECT = `SELECT v.*, m.width AS mask_width, m.height AS mask_height, m.correct_sha256 AS mask_sha256,
  m.changed_pixels, c.revision AS correction_revision
  FROM review_verdicts v
  LEFT JOIN review_verdict_masks m ON m.verdict_id = v.id
  LEFT JOIN review_corrections c ON c.verdict_id = v.id
  WHERE v.kind = 'segmentation'`;

function fromRow(row: MaskVerdictRow): MaskVerdict {
  const stored = JSON.parse(row.prediction_json) as StoredPrediction;
  return {
    ...sharedFields(row),
    prediction: stored.prediction,
    dice: stored.dice,
    correctMask:
      row.mask_sha256 === null
        ? null
        : {
            width: row.mask_width!,
            height: row.mask_height!,
            sha256: row.mask_sha256,
            changedPixels: row.changed_pixels!,
          },
  };
}

export type NewMaskVerdict = Omit<MaskVerdict, 'id' | 'createdAt' | 'correctionRevision' | 'correctMask'>;

/** The masks kept beside a verdict: the prediction's, and the correct one of a disagree. */
export interface VerdictMasks {
  width: number;
  height: number;
  predictedPng: Buffer;
  correct: { sha256: string; changedPixels: number; png: Buffer } | null;
}

/** Appends the verdict and its masks in one transaction: the trail never holds half a verdict. */
export function appendMaskVerdict(db: Database.Database, verdict: NewMaskVerdict, masks: VerdictMasks): MaskVerdict {
  const stored: StoredPrediction = { prediction: verdict.prediction, dice: verdict.dice };
  const id = db.transaction(() => {
    // prediction_json holds the prediction and the Dice shown beside it.
    const inserted = insertVerdictRow(db, { ...verdict, kind: 'segmentation', prediction: stored });
    db.prepare(
      'INSERT INTO review_verdict_masks (verdict_id, width, height, predicted_png, correct_sha256, changed_pixels, correct_png) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      inserted,
      masks.width,
      masks.height,
      masks.predictedPng,
      masks.correct?.sha256 ?? null,
      masks.correct?.changedPixels ?? null,
      masks.correct?.png ?? null,
    );
    return Number(inserted);
  })();
  return requireMaskVerdict(db, id);
}

export function requireMaskVerdict(db: Database.Database, id: number): MaskVerdict {
  const row = db.prepare(`${SELECT} AND v.id = ?`).get(id) as MaskVerdictRow | undefined;
  if (!row) throw new LoupeError('NOT_FOUND', `There is no verdict ${id} on a segmentation run in this workspace.`);
  return fromRow(row);
}

/** The PNGs of a verdict's predicted and correct masks (null: none kept, or no correction). */
export function verdictMaskPngs(
  db: Database.Database,
  verdictId: number,
): { predicted: Buffer | null; correct: Buffer | null } {
  const row = db
    .prepare('SELECT predicted_png, correct_png FROM review_verdict_masks WHERE verdict_id = ?')
    .get(verdictId) as { predicted_png: Buffer; correct_png: Buffer | null } | undefined;
  return { predicted: row?.predicted_png ?? null, correct: row?.correct_png ?? null };
}

/** Every segmentation verdict, oldest first; those on one run when `runId` is given. */
export function listMaskVerdicts(db: Database.Database, runId?: string): MaskVerdict[] {
  return listRows<MaskVerdictRow>(db, SELECT, runId).map(fromRow);
}

/** The current (latest) verdict per image under a segmentation run. */
export function currentMaskVerdicts(db: Database.Database, runId: string): Map<number, MaskVerdict> {
  const rows = db
    .prepare(
      `${SELECT} AND v.id IN (SELECT MAX(id) FROM review_verdicts WHERE kind = 'segmentation' AND run_id = ? GROUP BY image_id)`,
    )
    .all(runId) as MaskVerdictRow[];
  return new Map(rows.map((r) => [r.image_id, fromRow(r)]));
}
