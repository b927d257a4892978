import type { Migration } from '../migrations';

/**
 * Review of segmentation runs (contract/channels/review-masks.ts). Verdicts stay in the one
 * append-only trail, review_verdicts, now saying which kind of run they judge (existing rows judged
 * classification runs). review_verdict_masks holds, beside each segmentation verdict, the mask
 * the model predicted and the mask a "disagree" said is right, as PNG bytes (a few kilobytes), so
 * the trail and its report show what was judged and what the reviewer painted even after the
 * label or the run changes; it is append-only like the trail, and for the same reason.
 */
export const reviewMasksMigration: Migration = {
  version: 8,
  name: 'review-masks',
  up(db) {
    db.exec(`
      ALTER TABLE review_verdicts ADD COLUMN kind TEXT NOT NULL DEFAULT 'classification'
        CHECK (kind IN ('classification', 'segmentation', 'detection', 'verification'));
      DROP INDEX review_verdicts_run_image;
      CREATE INDEX review_verdicts_kind_run_image ON review_verdicts (kind, run_id, image_id, id);

      CREATE TABLE review_verdict_masks (
        verdict_id      INTEGER PRIMARY KEY,
        width           INTEGER NOT NULL,
        height          INTEGER NOT NULL,
        predicted_png   BLOB NOT NULL,
        correct_sha256  TEXT,
        changed_pixels  INTEGER,
        correct_png     BLOB,
        CHECK ((correct_png IS NULL) = (correct_sha256 IS NULL) AND (correct_png IS NULL) = (changed_pixels IS NULL))
      ) STRICT;

      CREATE TRIGGER review_verdict_masks_no_update BEFORE UPDATE ON review_verdict_masks
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: record a new verdict instead of changing its mask'); END;
      CREATE TRIGGER review_verdict_masks_no_delete BEFORE DELETE ON review_verdict_masks
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: a verdict''s mask cannot be deleted'); END;
      CREATE TRIGGER review_verdict_masks_no_replace BEFORE INSERT ON review_verdict_masks WHEN EXISTS (SELECT 1 FROM review_verdict_masks WHERE verdict_id = NEW.verdict_id)
      BEGIN SELECT RAISE(ABORT, 'review verdicts are append-only: a verdict''s mask cannot be replaced'); END;
    `);
  },
};
