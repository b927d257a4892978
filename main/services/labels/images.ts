/**
 * The labels domain's view of the images table (migration 002, filled by the imaging import).
 */
import type Database from 'better-sqlite3';
import { LoupeError } from '../../../contract/index';

export interface LabeledImage {
  id: number;
  path: string;
  fileName: string;
  width: number;
  height: number;
  /** 1 for a single-frame image; the slices of a volume, the frames of a multi-frame DICOM. */
  frames: number;
  patientId: string | null;
  metadataJson: string;
}

interface ImageRow {
  id: number;
  path: string;
  file_name: string;
  columns: number;
  rows: number;
  frames: number;
  patient_id: string | null;
  metadata_json: string;
}

const COLUMNS = 'id, path, file_name, columns, rows, frames, patient_id, metadata_json';

function fromRow(row: ImageRow): LabeledImage {
  return {
    id: row.id,
    path: row.path,
    fileName: row.file_name,
    width: row.columns,
    height: row.rows,
    frames: row.frames,
    patientId: row.patient_id,
    metadataJson: row.metadata_json,
  };
}

export function requireImage(db: Database.Database, imageId: number): LabeledImage {
  const row = db.prepare(`SELECT ${COLUMNS} FROM images WHERE id = ?`).get(imageId) as ImageRow | undefined;
  if (!row)
    throw new LoupeError('NOT_FOUND', `There is no image ${imageId} in this workspace (it may have been removed).`);
  return fromRow(row);
}

export function allImages(db: Database.Database): LabeledImage[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM images ORDER BY id`).all() as ImageRow[]).map(fromRow);
}

/** Image ids that exist, from a list; for refusing labels on removed images. */
export function missingImageIds(db: Database.Database, ids: readonly number[]): number[] {
  const exists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck();
  return ids.filter((id) => !exists.get(id));
}
