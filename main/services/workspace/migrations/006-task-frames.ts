import type { Migration } from '../migrations';

/**
 * Which frames of a multi-frame image a task trains on (contract/tasks.ts TASK_FRAMES). Existing
 * tasks keep 'first', what Loupe trained on before the choice existed.
 */
export const taskFramesMigration: Migration = {
  version: 6,
  name: 'task-frames',
  up(db) {
    db.exec(`
      ALTER TABLE label_tasks ADD COLUMN frames TEXT NOT NULL DEFAULT 'first'
        CHECK (frames IN ('first', 'middle', 'all'));
    `);
  },
};
