/**
 * Per-(task, image) revision counters: every change to an image's labels in a task bumps it, in
 * the same transaction as the change, so "revision N" always names one exact state.
 */
import type Database from 'better-sqlite3';

export function currentRevision(
  db: Database.Database,
  taskId: number,
  imageId: number,
): { revision: number; saveId: string | null } {
  const row = db
    .prepare('SELECT revision, save_id FROM label_revisions WHERE task_id = ? AND image_id = ?')
    .get(taskId, imageId) as { revision: number; save_id: string | null } | undefined;
  return row ? { revision: row.revision, saveId: row.save_id } : { revision: 0, saveId: null };
}

/** Bumps and returns the new revision; `saveId` is remembered so a retried save is recognised. */
export function bumpRevision(
  db: Database.Database,
  taskId: number,
  imageId: number,
  saveId: string | null = null,
): number {
  return db
    .prepare(
      `INSERT INTO label_revisions (task_id, image_id, revision, save_id, updated_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (task_id, image_id) DO UPDATE SET revision = revision + 1, save_id = excluded.save_id, updated_at = excluded.updated_at
       RETURNING revision`,
    )
    .pluck()
    .get(taskId, imageId, saveId, new Date().toISOString()) as number;
}

export function nowIso(): string {
  return new Date().toISOString();
}
