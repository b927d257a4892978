/** Migration 007 on a workspace written at version 6: its tasks keep every image, their labels untouched. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summarizeLabels } from '../labels/label-summary';
import { setTaskImages, taskImageIds } from '../labels/task-images';
import { listTasks } from '../labels/tasks';
import { MIGRATIONS } from './migrations';
import { Workspace } from './workspace';

const VERSION_BEFORE = 6;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-migrate-7-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function addImage(ws: Workspace, n: number): number {
  return Number(
    ws.db
      .prepare(
        `INSERT INTO images (sha256, path, file_name, format, file_size, rows, columns, samples_per_pixel, bits_allocated,
           bits_stored, photometric, imported_at) VALUES (?, ?, ?, 'png', 1, 2, 2, 1, 8, 8, 'MONOCHROME2', 'then')`,
      )
      .run(`sha-${n}`, `/scans/${n % 2 ? 'odd' : 'even'}/${n}.png`, `${n}.png`).lastInsertRowid,
  );
}

describe('migration 007 task-images', () => {
  it('upgrades a version-6 workspace: every task uses all images, its labels stay', () => {
    const old = Workspace.open(dir, { create: true, migrations: MIGRATIONS.slice(0, VERSION_BEFORE) });
    expect(old.schemaVersion).toBe(VERSION_BEFORE);
    const ids = [1, 2, 3, 4].map((n) => addImage(old, n));
    old.db
      .prepare(
        "INSERT INTO label_tasks (id, name, kind, multi_label, created_at, frames) VALUES (1, 'Old', 'classification', 0, 'then', 'middle')",
      )
      .run();
    old.db
      .prepare("INSERT INTO label_classes (id, task_id, name, color, position) VALUES (1, 1, 'a', '#ff0000', 0)")
      .run();
    for (const id of ids)
      old.db.prepare('INSERT INTO class_tags (task_id, image_id, class_id) VALUES (1, ?, 1)').run(id);
    old.close();

    const ws = Workspace.open(dir);
    try {
      expect(ws.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
      expect(MIGRATIONS.find((m) => m.name === 'task-images')!.version).toBe(VERSION_BEFORE + 1);
      const [task] = listTasks(ws.db);
      expect(task).toMatchObject({ name: 'Old', frames: 'middle', images: { kind: 'all' } });
      expect(taskImageIds(ws.db, 1)).toBeNull();
      expect(summarizeLabels(ws.db, 1).filter((s) => s.labeled)).toHaveLength(4);

      // The new columns work on the upgraded file: a rule, and back to all.
      setTaskImages(ws.db, 1, { kind: 'rule', folders: ['/scans/odd'], modalities: [], classIds: [] });
      expect([...taskImageIds(ws.db, 1)!]).toEqual([ids[0], ids[2]]);
      setTaskImages(ws.db, 1, { kind: 'list', imageIds: [ids[3]!] });
      expect(listTasks(ws.db)[0]!.images).toEqual({ kind: 'list', count: 1 });
      expect(ws.db.prepare('SELECT COUNT(*) FROM class_tags').pluck().get()).toBe(4);
    } finally {
      ws.close();
    }
  });
});
