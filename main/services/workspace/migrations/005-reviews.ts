import type { Migration } from '../migrations';

/**
 * Review verdicts: an append-only audit trail. Each row says who judged which prediction of which
 * model on which image, how, and when; a changed verdict is a new row and the current verdict of
 * an image under a run is its latest row. Triggers refuse UPDATE and DELETE, so not even a bug
 * in Loupe (or a careless SQL session) can rewrite what a reviewer said.
 *
 * Rows name images and models by content (image SHA-256, weights SHA-256) beside their ids and
 * carry no foreign keys: deleting an image, task or run must not cascade into the trail (the
 * triggers would refuse it and the deletion would fail), and the trail must still say what was
 * reviewed after those are gone.
 *
 * review_corrections records which label revision a confirmed correction wrote, so a label can be
 * traced to the verdict it came from; it is append-only for the same reason.
 */
export const reviewsMigration: Migration = {
  version: 5,
  name: 'reviews',
  up(db) {
    db.exec(`
      CREATE TABLE review_verdicts (
        id               INTEGER PRIMARY KEY,
        reviewer         TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        image_id         INTEGER NOT NULL,
        image_sha256     TEXT NOT NULL,
        image_path       TEXT NOT NULL,
        run_id           TEXT NOT NULL,
        weights_sha256   TEXT NOT NULL,
        task_id          INTEGER,
        prediction_json  TEXT NOT NULL,
        method           TEXT NOT NULL,
        verdict          TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree', 'unsure')),
        correct_class    TEXT,
        comment          TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE INDEX review_verdicts_run_image ON review_verdicts (run_id, image_id, id);

      CREATE TRIGGER review_verdicts_no_update BEFORE UPDATE ON review_verdicts
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: record a new verdict instead of changing one'); END;
      CREATE TRIGGER review_verdicts_no_delete BEFORE DELETE ON review_verdicts
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: they cannot be deleted'); END;
      -- INSERT OR REPLACE deletes the old row without firing DELETE triggers (recursive_triggers is off).
      CREATE TRIGGER review_verdicts_no_replace BEFORE INSERT ON review_verdicts WHEN EXISTS (SELECT 1 FROM review_verdicts WHERE id = NEW.id)
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: a verdict cannot be replaced'); END;

      CREATE TABLE review_corrections (
        verdict_id  INTEGER PRIMARY KEY,
        task_id     INTEGER NOT NULL,
        image_id    INTEGER NOT NULL,
        revision    INTEGER NOT NULL,
        applied_at  TEXT NOT NULL
      ) STRICT;

      CREATE TRIGGER review_corrections_no_update BEFORE UPDATE ON review_corrections
      BEGIN SELECT RAISE(ABORT, 'review corrections are append-only'); END;
      CREATE TRIGGER review_corrections_no_delete BEFORE DELETE ON review_corrections
      BEGIN SELECT RAISE(ABORT, 'review corrections are append-only: they cannot be deleted'); END;
      CREATE TRIGGER review_corrections_no_replace BEFORE INSERT ON review_corrections WHEN EXISTS (SELECT 1 FROM review_corrections WHERE verdict_id = NEW.verdict_id)
      BEGIN SELECT RAISE(ABORT, 'review corrections are append-only: a correction cannot be replaced'); END;
    `);
  },
};
