import type { Migration } from '../migrations';

/**
 * Review of detection and verification runs (contract/channels/review-boxes-pairs.ts). Their
 * verdicts stay in the one append-only trail, review_verdicts (kind 'detection' or 'verification',
 * already allowed since migration 008), with two columns more: pair_image_id, the second image of a
 * judged pair (image_id is the first), and correction_json, what a "disagree" says is right (the
 * image's boxes, or same/different), as JSON beside the prediction_json it corrects. The triggers
 * of migration 005 keep refusing UPDATE and DELETE on every row, these included.
 */
export const reviewBoxPairMigration: Migration = {
  version: 10,
  name: 'review-box-pair',
  up(db) {
    db.exec(`
      ALTER TABLE review_verdicts ADD COLUMN pair_image_id INTEGER;
      ALTER TABLE review_verdicts ADD COLUMN correction_json TEXT;
    `);
  },
};
