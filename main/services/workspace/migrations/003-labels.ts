import type { Migration } from '../migrations';

/**
 * Labels. Labels refer to classes and images by id, so renaming a class relabels nothing and a
 * removed image takes its labels with it (ON DELETE CASCADE; foreign_keys is on).
 *
 * label_revisions holds one counter per (task, image), bumped by every change to that image's
 * labels in that task, plus the id of the last save applied — what lets the autosave detect a
 * stale save (CONFLICT) and answer a retried one without applying it twice.
 *
 * Mask pixels live in PNG files under masks/task-<id>/ named from ids and a random suffix (never
 * from user or DICOM strings); each save writes a new file, then points the row at it in the same
 * transaction that bumps the revision, so the database never names a half-written file.
 */
export const labelsMigration: Migration = {
  version: 3,
  name: 'labels',
  up(db) {
    db.exec(`
      CREATE TABLE label_tasks (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind        TEXT NOT NULL CHECK (kind IN ('classification', 'segmentation', 'detection', 'verification')),
        multi_label INTEGER NOT NULL DEFAULT 0 CHECK (multi_label IN (0, 1)),
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE label_classes (
        id         INTEGER PRIMARY KEY,
        task_id    INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        name       TEXT NOT NULL COLLATE NOCASE,
        color      TEXT NOT NULL,
        position   INTEGER NOT NULL,
        mask_index INTEGER CHECK (mask_index BETWEEN 1 AND 255),
        UNIQUE (task_id, name),
        UNIQUE (task_id, mask_index)
      ) STRICT;

      CREATE TABLE label_revisions (
        task_id    INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id   INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        revision   INTEGER NOT NULL,
        save_id    TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (task_id, image_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE class_tags (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        class_id INTEGER NOT NULL REFERENCES label_classes (id) ON DELETE CASCADE,
        PRIMARY KEY (task_id, image_id, class_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX class_tags_class ON class_tags (class_id);

      CREATE TABLE boxes (
        id       INTEGER PRIMARY KEY,
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        class_id INTEGER NOT NULL REFERENCES label_classes (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        CHECK (x2 > x1 AND y2 > y1)
      ) STRICT;
      CREATE INDEX boxes_image ON boxes (task_id, image_id);
      CREATE INDEX boxes_class ON boxes (class_id);

      CREATE TABLE masks (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        file     TEXT NOT NULL UNIQUE,
        width    INTEGER NOT NULL,
        height   INTEGER NOT NULL,
        sha256   TEXT NOT NULL,
        PRIMARY KEY (task_id, image_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE mask_pixels (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        class_id INTEGER NOT NULL REFERENCES label_classes (id) ON DELETE CASCADE,
        pixels   INTEGER NOT NULL CHECK (pixels > 0),
        PRIMARY KEY (task_id, image_id, class_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX mask_pixels_class ON mask_pixels (class_id);

      CREATE TABLE pairs (
        id         INTEGER PRIMARY KEY,
        task_id    INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_a    INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        image_b    INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        same       INTEGER NOT NULL CHECK (same IN (0, 1)),
        source     TEXT NOT NULL CHECK (source IN ('manual', 'generated')),
        created_at TEXT NOT NULL,
        CHECK (image_a < image_b),
        UNIQUE (task_id, image_a, image_b)
      ) STRICT;

      CREATE TABLE split_settings (
        task_id        INTEGER PRIMARY KEY REFERENCES label_tasks (id) ON DELETE CASCADE,
        fractions_json TEXT NOT NULL,
        group_by_json  TEXT NOT NULL,
        seed           INTEGER NOT NULL,
        locked         INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
        assigned_at    TEXT NOT NULL
      ) STRICT;

      CREATE TABLE split_assignments (
        task_id   INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id  INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        split     TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        group_key TEXT NOT NULL,
        PRIMARY KEY (task_id, image_id)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
