import type { Migration } from '../migrations';

/**
 * Which images a task uses (contract/task-images.ts). `images` says how they are chosen; existing
 * tasks keep 'all', what every task used before the choice existed. A rule is kept as JSON and
 * evaluated at each use, so later imports that match it join the task; a list is frozen ids, and
 * an image removed from the workspace leaves the list with it (ON DELETE CASCADE).
 */
export const taskImagesMigration: Migration = {
  version: 7,
  name: 'task-images',
  up(db) {
    db.exec(`
      ALTER TABLE label_tasks ADD COLUMN images TEXT NOT NULL DEFAULT 'all'
        CHECK (images IN ('all', 'rule', 'list'));
      ALTER TABLE label_tasks ADD COLUMN images_rule_json TEXT;

      CREATE TABLE task_image_list (
        task_id  INTEGER NOT NULL REFERENCES label_tasks (id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        PRIMARY KEY (task_id, image_id)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
