/**
 * The crash test's view of the disk: the mask each edit writes, and the workspace's labels read
 * straight from SQLite and the mask files, in the shape of the test's model of the edits.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { BoxLabel } from '../../contract/index';
import { decodeMaskPng } from '../../main/services/labels/mask-files';
import { Workspace } from '../../main/services/workspace/workspace';

export const W = 256;
export const H = 192;

export function maskFor(index: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(W * H);
  const x0 = (index * 13) % (W - 60);
  const y0 = (index * 7) % (H - 40);
  for (let y = y0; y < y0 + 40; y++) data.fill(1 + (index % 2), y * W + x0, y * W + x0 + 60);
  data.fill(2 - (index % 2), (index % H) * W, (index % H) * W + W);
  return data;
}
export const digest = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** What is on disk, read directly, in the model's shape (masks as a digest of their pixels). */
export async function readDisk(folder: string): Promise<{ integrity: string; state: unknown; pngs: number }> {
  const ws = Workspace.open(folder);
  try {
    const integrity = ws.db.pragma('integrity_check', { simple: true }) as string;
    expect(ws.db.pragma('foreign_key_check')).toEqual([]);
    const revisions: Record<string, number> = {};
    for (const r of ws.db.prepare('SELECT task_id, image_id, revision FROM label_revisions').all() as {
      task_id: number;
      image_id: number;
      revision: number;
    }[]) {
      revisions[`${r.task_id}:${r.image_id}`] = r.revision;
    }
    const tags: Record<number, number[]> = {};
    for (const r of ws.db.prepare('SELECT image_id, class_id FROM class_tags ORDER BY class_id').all() as {
      image_id: number;
      class_id: number;
    }[])
      (tags[r.image_id] ??= []).push(r.class_id);
    const boxes: Record<number, BoxLabel[]> = {};
    for (const r of ws.db
      .prepare('SELECT image_id, class_id AS classId, x1, y1, x2, y2 FROM boxes ORDER BY image_id, position')
      .all() as (BoxLabel & { image_id: number })[]) {
      const { image_id, ...box } = r;
      (boxes[image_id] ??= []).push(box);
    }
    const masks: Record<number, string> = {};
    for (const r of ws.db.prepare('SELECT image_id, file, sha256 FROM masks').all() as {
      image_id: number;
      file: string;
      sha256: string;
    }[]) {
      const png = readFileSync(path.join(folder, r.file));
      expect(createHash('sha256').update(png).digest('hex'), r.file).toBe(r.sha256);
      masks[r.image_id] = digest((await decodeMaskPng(png)).data);
    }
    // Every mask PNG in the folder decodes, referenced or left over from a kill (temp files aside).
    // The folder is made with the first mask: a kill before it leaves none.
    const maskFolder = path.join(folder, 'masks');
    const files = existsSync(maskFolder)
      ? readdirSync(maskFolder, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.png'))
      : [];
    for (const f of files) await decodeMaskPng(readFileSync(path.join(folder, 'masks', f)));
    return { integrity, state: { revisions, tags, boxes, masks }, pngs: files.length };
  } finally {
    ws.close();
  }
}
