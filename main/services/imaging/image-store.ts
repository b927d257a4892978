/**
 * The images table (migration 002): one row per imported file, found by id or by content hash.
 * Only this class writes SQL for images.
 */
import type Database from 'better-sqlite3';
import {
  imageInfoSchema,
  type ImageFormat,
  type ImageInfo,
  type ImageRecord,
} from '../../../contract/channels/imaging';

interface ImageRow {
  id: number;
  sha256: string;
  path: string;
  file_name: string;
  format: ImageFormat;
  file_size: number;
  rows: number;
  columns: number;
  frames: number;
  modality: string | null;
  patient_id: string | null;
  imported_at: string;
  missing: number;
  metadata_json: string;
}

export interface NewImage {
  sha256: string;
  path: string;
  fileName: string;
  fileSize: number;
  info: ImageInfo;
}

const RECORD_COLUMNS =
  'id, sha256, path, file_name, format, file_size, rows, columns, frames, modality, patient_id, imported_at, missing';

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    path: row.path,
    fileName: row.file_name,
    format: row.format,
    fileSize: row.file_size,
    rows: row.rows,
    columns: row.columns,
    frames: row.frames,
    modality: row.modality,
    patientId: row.patient_id,
    importedAt: row.imported_at,
    missing: row.missing !== 0,
  };
}

export class ImageStore {
  constructor(private readonly db: Database.Database) {}

  bySha(sha256: string): ImageRecord | null {
    const row = this.db.prepare(`SELECT ${RECORD_COLUMNS} FROM images WHERE sha256 = ?`).get(sha256) as
      | ImageRow
      | undefined;
    return row ? toRecord(row) : null;
  }

  get(id: number): { record: ImageRecord; info: ImageInfo } | null {
    const row = this.db.prepare(`SELECT ${RECORD_COLUMNS}, metadata_json FROM images WHERE id = ?`).get(id) as
      | ImageRow
      | undefined;
    if (!row) return null;
    return { record: toRecord(row), info: imageInfoSchema.parse(JSON.parse(row.metadata_json)) };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  }

  list(offset: number, limit: number): ImageRecord[] {
    const rows = this.db
      .prepare(`SELECT ${RECORD_COLUMNS} FROM images ORDER BY id LIMIT ? OFFSET ?`)
      .all(limit, offset) as ImageRow[];
    return rows.map(toRecord);
  }

  /** Every image's id, path and hash (for relinking). */
  locations(): { id: number; path: string; sha256: string }[] {
    return this.db.prepare('SELECT id, path, sha256 FROM images').all() as {
      id: number;
      path: string;
      sha256: string;
    }[];
  }

  /** Inserts in one transaction; a hash already present (another window imported it) is skipped. Returns the ids, null for skipped. */
  insertMany(images: readonly NewImage[], importedAt: string): (number | null)[] {
    const insert = this.db.prepare(`
      INSERT INTO images (sha256, path, file_name, format, file_size, rows, columns, frames, samples_per_pixel, bits_allocated,
        bits_stored, pixel_representation, photometric, patient_id, study_uid, series_uid, sop_uid, modality, pixel_spacing,
        instance_number, metadata_json, imported_at, missing)
      VALUES (@sha256, @path, @fileName, @format, @fileSize, @rows, @columns, @frames, @samplesPerPixel, @bitsAllocated,
        @bitsStored, @pixelRepresentation, @photometric, @patientId, @studyUid, @seriesUid, @sopUid, @modality, @pixelSpacing,
        @instanceNumber, @metadata, @importedAt, 0)
      ON CONFLICT (sha256) DO NOTHING`);
    return this.db.transaction(() =>
      images.map(({ sha256, path, fileName, fileSize, info }) => {
        const result = insert.run({
          sha256,
          path,
          fileName,
          format: info.format,
          fileSize,
          rows: info.rows,
          columns: info.columns,
          frames: info.frames,
          samplesPerPixel: info.samplesPerPixel,
          bitsAllocated: info.bitsAllocated,
          bitsStored: info.bitsStored,
          pixelRepresentation: info.pixelRepresentation,
          photometric: info.photometricInterpretation,
          patientId: info.patientId,
          studyUid: info.studyInstanceUid,
          seriesUid: info.seriesInstanceUid,
          sopUid: info.sopInstanceUid,
          modality: info.modality,
          pixelSpacing: info.pixelSpacing ? JSON.stringify(info.pixelSpacing) : null,
          instanceNumber: info.instanceNumber,
          metadata: JSON.stringify(info),
          importedAt,
        });
        return result.changes === 1 ? Number(result.lastInsertRowid) : null;
      }),
    )();
  }

  setMissing(id: number, missing: boolean): void {
    this.db.prepare('UPDATE images SET missing = ? WHERE id = ?').run(missing ? 1 : 0, id);
  }

  relink(id: number, path: string): void {
    this.db
      .prepare('UPDATE images SET path = ?, file_name = ?, missing = 0 WHERE id = ?')
      .run(path, path.split(/[\\/]/).at(-1) ?? path, id);
  }
}
