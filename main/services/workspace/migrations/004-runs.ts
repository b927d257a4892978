import type { Migration } from '../migrations';

/**
 * Training runs. A run's folder (runs/<id>/: run.json, checkpoints, model) is written by the
 * engine and is the record of what was trained; this row is what the workspace needs beside it:
 * which task it came from (runs outlive a deleted task: SET NULL), the configuration it was
 * started with (the engine writes run.json only once the dataset is read), and who trains it now.
 *
 * `owner_pid` is the process training a `running` run. A `running` row whose owner is gone (the
 * engine crashed, Loupe was killed) is shown as interrupted, so it can be resumed; the check is
 * by process, so the CLI and the app training in one workspace do not mistake each other's runs.
 */
export const runsMigration: Migration = {
  version: 4,
  name: 'runs',
  up(db) {
    db.exec(`
      CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        task_id     INTEGER REFERENCES label_tasks (id) ON DELETE SET NULL,
        task_name   TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('classification', 'segmentation', 'detection', 'verification')),
        state       TEXT NOT NULL CHECK (state IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
        config_json TEXT NOT NULL,
        owner_pid   INTEGER,
        error       TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX runs_task ON runs (task_id);
    `);
  },
};
