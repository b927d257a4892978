import type { Migration } from '../migrations';

/**
 * Imported images. Sources are referenced by absolute path and SHA-256 of their bytes and never
 * modified; one row per file (a multi-frame DICOM is one row with `frames` > 1).
 */
export const imagesMigration: Migration = {
  version: 2,
  name: 'images',
  up(db) {
    db.exec(`
      CREATE TABLE images (
        id                   INTEGER PRIMARY KEY,
        sha256               TEXT NOT NULL UNIQUE,
        path                 TEXT NOT NULL,
        file_name            TEXT NOT NULL,
        format               TEXT NOT NULL,
        file_size            INTEGER NOT NULL,
        rows                 INTEGER NOT NULL,
        columns              INTEGER NOT NULL,
        frames               INTEGER NOT NULL DEFAULT 1,
        samples_per_pixel    INTEGER NOT NULL,
        bits_allocated       INTEGER NOT NULL,
        bits_stored          INTEGER NOT NULL,
        pixel_representation INTEGER NOT NULL DEFAULT 0,
        photometric          TEXT NOT NULL,
        patient_id           TEXT,
        study_uid            TEXT,
        series_uid           TEXT,
        sop_uid              TEXT,
        modality             TEXT,
        pixel_spacing        TEXT,
        instance_number      INTEGER,
        metadata_json        TEXT NOT NULL DEFAULT '{}',
        imported_at          TEXT NOT NULL,
        missing              INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX images_path ON images (path);
      CREATE INDEX images_patient ON images (patient_id);
    `);
  },
};
