/**
 * The mask-frames migration on a workspace made by the migrations before it (schema 8 here): each
 * existing mask keeps its file and pixel counts and lands on the frame its task trained on —
 * frame 0 for single-frame images and 'first', ⌊n/2⌋ for 'middle', and for 'all' the frame the
 * Label section opens on, ⌊(n−1)/2⌋ (which differs from ⌊n/2⌋ for an even n, as here: 4 frames).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations';
import { Workspace } from './workspace';

const MULTI_FRAMES = 4;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-mask-frames-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A workspace at the schema before mask-frames, holding one mask per (task, image). */
function workspaceBeforeMaskFrames(): void {
  const before = MIGRATIONS.slice(
    0,
    MIGRATIONS.findIndex((m) => m.name === 'mask-frames'),
  );
  const ws = Workspace.open(dir, { create: true, migrations: before });
  const db = ws.db;
  const image = db.prepare(
    `INSERT INTO images (id, sha256, path, file_name, format, file_size, rows, columns, frames, samples_per_pixel,
       bits_allocated, bits_stored, pixel_representation, photometric, metadata_json, imported_at)
     VALUES (?, ?, ?, ?, 'dicom', 1, 4, 4, ?, 1, 8, 8, 0, 'MONOCHROME2', '{}', '2026-01-01')`,
  );
  image.run(1, 'a'.repeat(64), '/data/single.dcm', 'single.dcm', 1);
  image.run(2, 'b'.repeat(64), '/data/cine.dcm', 'cine.dcm', MULTI_FRAMES);
  for (const [id, frames] of [
    [1, 'first'],
    [2, 'middle'],
    [3, 'all'],
  ] as const) {
    db.prepare(
      `INSERT INTO label_tasks (id, name, kind, multi_label, created_at, frames) VALUES (?, ?, 'segmentation', 0, '2026-01-01', ?)`,
    ).run(id, `task ${frames}`, frames);
    db.prepare(
      `INSERT INTO label_classes (id, task_id, name, color, position, mask_index) VALUES (?, ?, 'lesion', '#ff0000', 0, 1)`,
    ).run(id, id);
    for (const imageId of [1, 2]) {
      db.prepare(`INSERT INTO masks (task_id, image_id, file, width, height, sha256) VALUES (?, ?, ?, 4, 4, ?)`).run(
        id,
        imageId,
        `masks/task-${id}/image-${imageId}-x.png`,
        `${id}${imageId}`.padEnd(64, '0'),
      );
      db.prepare(`INSERT INTO mask_pixels (task_id, image_id, class_id, pixels) VALUES (?, ?, ?, ?)`).run(
        id,
        imageId,
        id,
        10 * id + imageId,
      );
    }
  }
  ws.close();
}

describe('migration mask-frames', () => {
  it('puts each existing mask on the frame its task trained on, keeping its file and pixel counts', () => {
    workspaceBeforeMaskFrames();
    const ws = Workspace.open(dir);
    try {
      expect(ws.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
      const masks = ws.db
        .prepare('SELECT task_id, image_id, frame, file FROM masks ORDER BY task_id, image_id')
        .all() as { task_id: number; image_id: number; frame: number; file: string }[];
      expect(masks.map((m) => [m.task_id, m.image_id, m.frame])).toEqual([
        [1, 1, 0],
        [1, 2, 0],
        [2, 1, 0],
        [2, 2, Math.floor(MULTI_FRAMES / 2)],
        [3, 1, 0],
        [3, 2, Math.floor((MULTI_FRAMES - 1) / 2)],
      ]);
      expect(masks.every((m) => m.file === `masks/task-${m.task_id}/image-${m.image_id}-x.png`)).toBe(true);
      const pixels = ws.db
        .prepare('SELECT task_id, image_id, frame, class_id, pixels FROM mask_pixels ORDER BY task_id, image_id')
        .all() as { task_id: number; image_id: number; frame: number; class_id: number; pixels: number }[];
      expect(pixels.map((p) => [p.task_id, p.image_id, p.frame, p.pixels])).toEqual(
        masks.map((m) => [m.task_id, m.image_id, m.frame, 10 * m.task_id + m.image_id]),
      );
      // Another frame of the same image may now hold its own mask; the same frame may not hold two.
      const insert = ws.db.prepare(
        `INSERT INTO masks (task_id, image_id, frame, file, width, height, sha256) VALUES (3, 2, ?, ?, 4, 4, 'z')`,
      );
      insert.run(3, 'masks/task-3/image-2-f3-y.png');
      expect(() => insert.run(3, 'masks/task-3/image-2-f3-z.png')).toThrow(/UNIQUE|PRIMARY KEY/);
      // Deleting the task still takes its masks and counts with it (the foreign keys survived the rebuild).
      ws.db.prepare('DELETE FROM label_tasks WHERE id = 3').run();
      expect(ws.db.prepare('SELECT COUNT(*) FROM masks WHERE task_id = 3').pluck().get()).toBe(0);
      expect(ws.db.prepare('SELECT COUNT(*) FROM mask_pixels WHERE task_id = 3').pluck().get()).toBe(0);
      expect(ws.db.prepare("SELECT name FROM sqlite_master WHERE name = 'mask_pixels_class'").get()).toBeDefined();
    } finally {
      ws.close();
    }
  });
});
