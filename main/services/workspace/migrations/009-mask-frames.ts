import type { Migration } from '../migrations';

/**
 * Masks per frame: a segmentation label of a multi-frame image (a NIfTI volume, a multi-frame
 * DICOM) belongs to one frame, so `masks` and `mask_pixels` gain a `frame` column in their keys
 * (SQLite cannot change a primary key in place, so both tables are rebuilt and their rows copied).
 *
 * Before this, an image had one mask and training paired it with whichever frame the task trained
 * on. Each existing mask is put on that frame, so a run on the task trains on the same pixels as
 * before: 'first' → frame 0, 'middle' → frame ⌊n/2⌋ (task-frames.ts). A task on 'all' paired the
 * one mask with every frame, which cannot be kept without copying it; there the mask goes to the
 * frame the Label section opens a multi-frame image on (⌊(n−1)/2⌋, stores/viewer.ts), the frame
 * it was most likely drawn on. A single-frame image's mask is frame 0 in every case.
 *
 * Committed as version 7; the lead renumbers it at merge beside the other version-7 migration.
 */
export const maskFramesMigration: Migration = {
  version: 9,
  name: 'mask-frames',
  up(db) {
    db.exec(`
      CREATE TABLE masks_by_frame (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        frame    INTEGER NOT NULL CHECK (frame >= 0),
        file     TEXT NOT NULL UNIQUE,
        width    INTEGER NOT NULL,
        height   INTEGER NOT NULL,
        sha256   TEXT NOT NULL,
        PRIMARY KEY (task_id, image_id, frame)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE mask_pixels_by_frame (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        frame    INTEGER NOT NULL CHECK (frame >= 0),
        class_id INTEGER NOT NULL REFERENCES label_classes (id) ON DELETE CASCADE,
        pixels   INTEGER NOT NULL CHECK (pixels > 0),
        PRIMARY KEY (task_id, image_id, frame, class_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TEMP TABLE mask_frame_of AS
        SELECT m.task_id, m.image_id,
          CASE WHEN i.frames <= 1 OR t.frames = 'first' THEN 0
               WHEN t.frames = 'middle' THEN i.frames / 2
               ELSE (i.frames - 1) / 2 END AS frame
        FROM masks m JOIN images i ON i.id = m.image_id JOIN label_tasks t ON t.id = m.task_id;

      INSERT INTO masks_by_frame (task_id, image_id, frame, file, width, height, sha256)
        SELECT m.task_id, m.image_id, f.frame, m.file, m.width, m.height, m.sha256
        FROM masks m JOIN mask_frame_of f ON f.task_id = m.task_id AND f.image_id = m.image_id;
      INSERT INTO mask_pixels_by_frame (task_id, image_id, frame, class_id, pixels)
        SELECT p.task_id, p.image_id, f.frame, p.class_id, p.pixels
        FROM mask_pixels p JOIN mask_frame_of f ON f.task_id = p.task_id AND f.image_id = p.image_id;
      DROP TABLE mask_frame_of;

      DROP TABLE mask_pixels;
      DROP TABLE masks;
      ALTER TABLE masks_by_frame RENAME TO masks;
      ALTER TABLE mask_pixels_by_frame RENAME TO mask_pixels;
      CREATE INDEX mask_pixels_class ON mask_pixels (class_id);
    `);
  },
};
